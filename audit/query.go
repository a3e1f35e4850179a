package audit

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Values is q as the query of GET /__admin/audit; a threshold left 0
// is left out, for the sandbox's default.
func (q Query) Values() url.Values {
	v := url.Values{}
	set := func(name, value string) {
		if value != "" {
			v.Set(name, value)
		}
	}
	set("registrationId", q.RegistrationID)
	set("referenceId", q.ReferenceID)
	if !q.Since.IsZero() {
		v.Set("since", q.Since.Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.Format(time.RFC3339Nano))
	}
	th := q.Thresholds
	if th.MinPollInterval != 0 {
		v.Set("minPollInterval", th.MinPollInterval.String())
	}
	if th.BackoffRetries != 0 {
		v.Set("backoffRetries", strconv.Itoa(th.BackoffRetries))
	}
	if th.BackoffGrowth != 0 {
		v.Set("backoffGrowth", strconv.FormatFloat(th.BackoffGrowth, 'g', -1, 64))
	}
	if th.MaxAuthAttempts != 0 {
		v.Set("maxAuthAttempts", strconv.Itoa(th.MaxAuthAttempts))
	}
	if th.GiveUpAfter != 0 {
		v.Set("giveUpAfter", th.GiveUpAfter.String())
	}
	return v
}

// ParseQuery reads the query of GET /__admin/audit; the error says which
// parameter is wrong and what it should be.
func ParseQuery(v url.Values) (Query, error) {
	q := Query{RegistrationID: v.Get("registrationId"), ReferenceID: v.Get("referenceId")}
	for name, dst := range map[string]*time.Time{"since": &q.Since, "until": &q.Until} {
		if s := v.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return q, fmt.Errorf("%s %q is not an RFC 3339 time such as 2026-03-05T12:00:00Z", name, s)
			}
			*dst = t
		}
	}
	for name, dst := range map[string]*time.Duration{"minPollInterval": &q.Thresholds.MinPollInterval, "giveUpAfter": &q.Thresholds.GiveUpAfter} {
		if s := v.Get(name); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				return q, fmt.Errorf("%s %q must be a positive duration such as 30m", name, s)
			}
			*dst = d
		}
	}
	for name, dst := range map[string]*int{"backoffRetries": &q.Thresholds.BackoffRetries, "maxAuthAttempts": &q.Thresholds.MaxAuthAttempts} {
		if s := v.Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 1000 {
				return q, fmt.Errorf("%s %q must be an integer from 1 to 1000", name, s)
			}
			*dst = n
		}
	}
	if s := v.Get("backoffGrowth"); s != "" {
		g, err := strconv.ParseFloat(s, 64)
		if err != nil || !(g >= 1 && g <= 100) {
			return q, fmt.Errorf("backoffGrowth %q must be a number from 1 to 100", s)
		}
		q.Thresholds.BackoffGrowth = g
	}
	return q, nil
}
