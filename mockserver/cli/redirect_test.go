package cli

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestHealthcheckDoesNotFollowRedirects(t *testing.T) {
	healthy := healthServer(t, answer(http.StatusOK, `{"status":"ok"}`))
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			target := healthy.URL + HealthPath
			redirecting := healthServer(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target, status)
			})
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), []string{"healthcheck", "--url", redirecting.URL}, probeEnv(nil), &stdout, &stderr)
			if code != 1 {
				t.Fatalf("exit %d, want 1 (unhealthy); stdout %q", code, stdout.String())
			}
			msg := stderr.String()
			if !strings.Contains(msg, "redirect to "+target) || !strings.Contains(msg, "not followed") || strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr %q, want one line saying the redirect to %s is not followed", msg, target)
			}
		})
	}
}
