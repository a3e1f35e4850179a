package mockserver

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// readBody trusts the announced length only to size its buffer: a body
// longer than announced is read on, within the limit, and one past the
// limit is refused as too large, whatever was announced.
func TestReadBodyHoldsTheLimitWhateverTheAnnouncedLength(t *testing.T) {
	cases := []struct {
		name      string
		body      string
		announced int64
		limit     int64
		tooLarge  bool
	}{
		{"as announced", "0123456789", 10, 64, false},
		{"shorter than announced", "01234", 10, 64, false},
		{"longer than announced", "0123456789", 3, 64, false},
		{"longer than announced, past the limit", "0123456789", 3, 5, true},
		{"announced at the limit, longer", "0123456789", 5, 5, true},
		{"unknown length", "0123456789", -1, 64, false},
		{"unknown length, past the limit", "0123456789", -1, 5, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(c.body))
			r.ContentLength = c.announced
			got, err := readBody(httptest.NewRecorder(), r, c.limit)
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) != c.tooLarge {
				t.Fatalf("error %v, want too large: %v", err, c.tooLarge)
			}
			if !c.tooLarge && (err != nil || string(got) != c.body) {
				t.Fatalf("read %q, %v; want %q", got, err, c.body)
			}
		})
	}
}
