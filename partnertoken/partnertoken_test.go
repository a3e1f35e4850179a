package partnertoken

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestSignMakesAnHS256TokenWithThePartnersClaims(t *testing.T) {
	at := time.Unix(1772710798, 0)
	token, err := Sign("k3y", "AOP-554", "r1", at)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	claims := jwt.MapClaims{}
	parsed, err := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"})).ParseWithClaims(token, claims, func(*jwt.Token) (any, error) {
		return []byte("k3y"), nil
	})
	if err != nil || !parsed.Valid {
		t.Fatalf("the Token does not verify with its key: %v", err)
	}
	if claims["partnerId"] != "AOP-554" || claims["reqid"] != "r1" || claims["timestamp"] != float64(at.Unix()) {
		t.Errorf("claims = %v", claims)
	}
	if _, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return []byte("other"), nil }); err == nil {
		t.Error("the Token verifies with another key")
	}
}
