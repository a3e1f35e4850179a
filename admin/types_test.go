package admin

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestClockMoveJSON(t *testing.T) {
	at := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		move ClockMove
		want string
	}{
		{Advance(30 * time.Minute), `{"advance":"30m0s"}`},
		{SetClock(at), `{"set":"2026-04-01T10:00:00Z"}`},
		{FreezeClock(at), `{"freeze":"2026-04-01T10:00:00Z"}`},
		{FreezeClockNow(), `{"freeze":true}`},
		{ResumeClock(), `{"resume":true}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.move)
		if err != nil || string(b) != tt.want {
			t.Errorf("%+v written as %s, %v; want %s", tt.move, b, err, tt.want)
		}
		var back ClockMove
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, tt.move) {
			t.Errorf("%s read back as %+v, %v", b, back, err)
		}
	}
	var m ClockMove
	if err := json.Unmarshal([]byte(`{"freeze":false}`), &m); err == nil || !strings.Contains(err.Error(), "freeze") {
		t.Fatalf("freeze false: %v", err)
	}
}
