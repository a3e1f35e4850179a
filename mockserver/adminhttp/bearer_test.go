package adminhttp

import (
	"crypto/sha256"
	"testing"
)

func TestBearerMatches(t *testing.T) {
	t.Parallel()
	want := sha256.Sum256([]byte("tok"))
	tests := []struct {
		name, header string
		match        bool
	}{
		{"exact", "Bearer tok", true},
		{"scheme in lower case", "bearer tok", true},
		{"empty", "", false},
		{"no scheme", "tok", false},
		{"basic scheme", "Basic tok", false},
		{"empty token", "Bearer ", false},
		{"longer", "Bearer tok2", false},
		{"shorter", "Bearer to", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bearerMatches(tt.header, want); got != tt.match {
				t.Fatalf("bearerMatches(%q) = %v, want %v", tt.header, got, tt.match)
			}
		})
	}
	empty := sha256.Sum256(nil)
	if bearerMatches("Bearer ", empty) {
		t.Fatal("an empty token matched the hash of an empty token")
	}
}
