package hostcheck

import "testing"

func TestAllows(t *testing.T) {
	t.Parallel()
	hosts, err := New([]string{"mock", " Sandbox.Internal. ", ".example.test", "10.0.0.5", "FD00::5"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host string
		want bool
	}{
		{"127.0.0.1:8080", true},
		{"127.0.0.1", true},
		{"127.1.2.3:80", true},
		{"[::1]:8080", true},
		{"[::1]", true},
		{"localhost:8080", true},
		{"LOCALHOST.", true},
		{"[::ffff:127.0.0.1]:8080", true},
		{"mock:8080", true},
		{"MOCK", true},
		{"sandbox.internal:443", true},
		{"example.test", true},
		{"a.b.example.test:8080", true},
		{"10.0.0.5:8080", true},
		{"[fd00:0::5]:8080", true},
		{"", false},
		{":8080", false},
		{"evil.example", false},
		{"evil.example:8080", false},
		{"mock.evil.example", false},
		{"notexample.test", false},
		{"localhost.evil.example", false},
		{"127.0.0.1.evil.example", false},
		{"10.0.0.6", false},
		{"0.0.0.0:8080", false},
		{"192.168.1.10:8080", false},
	}
	for _, tt := range tests {
		if got := hosts.Allows(tt.host); got != tt.want {
			t.Errorf("Allows(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
	var loopbackOnly Hosts
	if !loopbackOnly.Allows("127.0.0.1:1") || loopbackOnly.Allows("mock") {
		t.Error("the zero Hosts does not allow loopback alone")
	}
	anyHost, err := New([]string{"*"})
	if err != nil || !anyHost.Allows("evil.example") {
		t.Errorf("* does not allow every host: %v", err)
	}
}

func TestNewRefusesWhatIsNoHost(t *testing.T) {
	t.Parallel()
	for _, entry := range []string{"", " ", ".", "mock:8080", "http://mock", "[::1]:80", "a b"} {
		if _, err := New([]string{entry}); err == nil {
			t.Errorf("New(%q) accepted it", entry)
		}
	}
}
