package sentid

import "testing"

func TestSentStringKeepsWhatWasSent(t *testing.T) {
	tests := []struct {
		lit, want string
		ok        bool
	}{
		{`"ABC"`, "ABC", true},
		{`"a\"b\\c\/d\b\f\n\r\t"`, "a\"b\\c/d\b\f\n\r\t", true},
		{`"\u00e9\u00A0"`, "é\u00a0", true},
		{`"\ud83d\ude00"`, "😀", true},
		{"\"\xff\xfeABC\"", "\xff\xfeABC", true},
		{"\"\xc0\xafABC\"", "\xc0\xafABC", true},
		{`"\ud800ABC"`, "\xed\xa0\x80ABC", true},
		{`"\udc00"`, "\xed\xb0\x80", true},
		{`"\ude00\ud83d"`, "\xed\xb8\x80\xed\xa0\xbd", true},
		{`"\ufffd"`, "\ufffd", true},
		{`"\x41"`, "", false},
		{`"\u12"`, "", false},
		{`"abc\"`, "", false},
		{`12`, "", false},
		{``, "", false},
	}
	for _, tt := range tests {
		got, ok := sentString([]byte(tt.lit))
		if got != tt.want || ok != tt.ok {
			t.Errorf("sentString(%s) = %q, %v; want %q, %v", tt.lit, got, ok, tt.want, tt.ok)
		}
	}
}

// TestIdentifiersAreReadAsSent sends referenceids and RegistrationIDs that
// a lenient JSON decoder would read as other, valid ones, or that show
// nothing: each is refused in the provider's envelope, naming its field.
