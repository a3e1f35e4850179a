package audit

import (
	"net/http"
	"testing"
	"time"
)

// TestReadAnswer reads the answers of both dialects, the refusals, the
// failures and Retry-After in both its forms.
func TestReadAnswer(t *testing.T) {
	at := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	data := func(status, refunded string) string {
		return `{"response_code":1,"status":true,"data":{"txnid":"1","status":"` + status + `","refid":"R","refunded":"` + refunded + `","daterefunded":null},"message":"Transaction Enquiry Successful"}`
	}
	for _, tc := range []struct {
		name   string
		status int
		header map[string][]string
		body   string
		want   Answer
		wait   time.Duration
	}{
		{"success", 200, nil, data("1", "0"), AnswerSuccess, 0},
		{"pending", 200, nil, data("2", "0"), AnswerPending, 0},
		{"failed", 200, nil, data("0", "0"), AnswerFailed, 0},
		{"refunded", 200, nil, data("0", "1"), AnswerRefunded, 0},
		{"upstream spelling, spaced", 200, nil, `{"responsecode": 1, "status": true, "data": {"status": "1", "refunded": "0"}}`, AnswerSuccess, 0},
		{"not found", 200, nil, `{"response_code":2,"status":false,"message":"No Transaction found"}`, AnswerNotFound, 0},
		{"malformed", 200, nil, `{"response_code":1,"status":tr`, AnswerOther, 0},
		{"refused", 401, nil, `{"status":false,"response_code":7,"message":"Authentication failed"}`, AnswerRefused, 0},
		{"jwt error", 412, nil, `{"status":false,"response_code":6,"message":"Jwt Token Error"}`, AnswerRefused, 0},
		{"upstream unable to process", 401, nil, `{"status":false,"response_code":5,"message":"Unable to process request"}`, AnswerFailure, 0},
		{"429 seconds", 429, map[string][]string{"Retry-After": {"5"}}, `{}`, AnswerRateLimited, 5 * time.Second},
		{"503 date", 503, map[string][]string{"retry-after": {at.Add(time.Minute).Format(http.TimeFormat)}}, `{}`, AnswerRateLimited, time.Minute},
		{"503 without", 503, nil, `{}`, AnswerFailure, 0},
		{"502", 502, nil, `{}`, AnswerFailure, 0},
		{"cut", 0, nil, ``, AnswerNone, 0},
		{"validation", 400, nil, `{}`, AnswerOther, 0},
	} {
		got, wait := ReadAnswer(tc.status, tc.header, []byte(tc.body), at)
		if got != tc.want || wait != tc.wait {
			t.Errorf("%s: %s, %s; want %s, %s", tc.name, got, wait, tc.want, tc.wait)
		}
	}
}
