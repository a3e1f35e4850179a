package recharge

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// TokenVerifier checks the provider-style `Token` header: a JWT signed HS256
// with the partner's key, claims timestamp, partnerId and reqid, each reqid
// accepted once.
type TokenVerifier struct {
	Clock Clock

	mu   sync.Mutex
	seen map[string]time.Time // partner/reqid → expiry
}

func authError(message, remarks string) *Error {
	return &Error{Code: EUNAUTHORIZED, Message: message, Remarks: remarks}
}

// Verify checks token for the registration reg.
func (v *TokenVerifier) Verify(reg Registration, token string) error {
	if token == "" {
		return authError(rechargestatus.MessageAuthenticationFailed, "Token header is required")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return authError(rechargestatus.MessageWrongSegments, "")
	}
	if _, err := base64.RawURLEncoding.DecodeString(parts[2]); err != nil {
		return authError(rechargestatus.MessageInvalidSignatureEncoding, "")
	}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithoutClaimsValidation())
	claims := jwt.MapClaims{}
	_, err := parser.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) {
		return []byte(reg.Key), nil
	})
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenSignatureInvalid) && strings.Contains(err.Error(), "signing method"):
		return authError(rechargestatus.MessageAlgorithmNotAllowed, "")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return authError(rechargestatus.MessageSignatureFailed, "")
	case errors.Is(err, jwt.ErrTokenMalformed) && strings.Contains(err.Error(), "header"):
		return authError(rechargestatus.MessageInvalidHeaderEncoding, "")
	case errors.Is(err, jwt.ErrTokenMalformed):
		return authError(rechargestatus.MessageInvalidClaimsEncoding, "")
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return authError(rechargestatus.MessageAlgorithmNotAllowed, "")
	default:
		return authError(rechargestatus.MessageAuthenticationFailed, "")
	}
	now := v.Clock.Now()
	ts, ok := numericClaim(claims["timestamp"])
	if !ok {
		return authError(rechargestatus.MessageAuthenticationFailed, "claim timestamp is required (Unix seconds)")
	}
	issued := time.Unix(ts, 0)
	if d := now.Sub(issued); d > rechargestatus.TokenWindow || d < -rechargestatus.TokenWindow {
		return authError(rechargestatus.MessageExpiredToken, "")
	}
	partner, _ := claims["partnerId"].(string)
	if partner != reg.PartnerIDOrID() {
		return authError(rechargestatus.MessageAuthenticationFailed, "claim partnerId does not match the registration")
	}
	reqid := claimString(claims["reqid"])
	if reqid == "" {
		return authError(rechargestatus.MessageAuthenticationFailed, "claim reqid is required")
	}
	if !v.firstUse(reg.ID+"\x00"+reqid, issued.Add(rechargestatus.TokenWindow), now) {
		return authError(rechargestatus.MessageAuthenticationFailed, fmt.Sprintf("reqid %s was already used", reqid))
	}
	return nil
}

// firstUse remembers a reqid until its token expires, and reports whether it
// is new.
func (v *TokenVerifier) firstUse(id string, expires, now time.Time) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.seen == nil {
		v.seen = make(map[string]time.Time)
	}
	if len(v.seen) > 1024 {
		for k, exp := range v.seen {
			if now.After(exp) {
				delete(v.seen, k)
			}
		}
	}
	if exp, ok := v.seen[id]; ok && !now.After(exp) {
		return false
	}
	v.seen[id] = expires
	return true
}

func numericClaim(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		return int64(x), true
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	}
	return 0, false
}

func claimString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}
