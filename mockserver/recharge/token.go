package recharge

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// TokenVerifier checks the provider-style `Token` header: a JWT signed HS256
// with the partner's key, claims timestamp, partnerId and reqid, each reqid
// accepted once.
type TokenVerifier struct {
	Clock Clock
	// ReplayCacheSize bounds the reqids remembered until their tokens
	// expire; DefaultReplayCacheSize when zero. A token with a new reqid is
	// refused while the cache is full.
	ReplayCacheSize int

	replays replayCache
}

func authError(message, remarks string) *transaction.Error {
	return &transaction.Error{Code: transaction.EUNAUTHORIZED, Message: message, Remarks: remarks}
}

// tokenRejected is the JWT decoder's refusal of a Token, worded as the
// decoder words it.
func tokenRejected(message string) *transaction.Error {
	return &transaction.Error{Code: transaction.EUNAUTHORIZED, Message: message, TokenRejected: true}
}

// Verify checks token for the registration reg.
func (v *TokenVerifier) Verify(reg Registration, token string) error {
	if token == "" {
		return authError(rechargestatus.MessageAuthenticationFailed, "Token header is required")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return tokenRejected(rechargestatus.MessageWrongSegments)
	}
	if _, err := base64.RawURLEncoding.DecodeString(parts[2]); err != nil {
		return tokenRejected(rechargestatus.MessageInvalidSignatureEncoding)
	}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithoutClaimsValidation())
	claims := jwt.MapClaims{}
	_, err := parser.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) {
		return []byte(reg.Key), nil
	})
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenSignatureInvalid) && strings.Contains(err.Error(), "signing method"):
		return tokenRejected(rechargestatus.MessageAlgorithmNotAllowed)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return tokenRejected(rechargestatus.MessageSignatureFailed)
	case errors.Is(err, jwt.ErrTokenMalformed) && strings.Contains(err.Error(), "header"):
		return tokenRejected(rechargestatus.MessageInvalidHeaderEncoding)
	case errors.Is(err, jwt.ErrTokenMalformed):
		return tokenRejected(rechargestatus.MessageInvalidClaimsEncoding)
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return tokenRejected(rechargestatus.MessageAlgorithmNotAllowed)
	default:
		return tokenRejected(rechargestatus.MessageAuthenticationFailed)
	}
	now := v.Clock.Now()
	ts, ok := numericClaim(claims["timestamp"])
	if !ok {
		return authError(rechargestatus.MessageAuthenticationFailed, "claim timestamp is required (Unix seconds)")
	}
	issued := time.Unix(ts, 0)
	if d := now.Sub(issued); d > rechargestatus.TokenWindow || d < -rechargestatus.TokenWindow {
		return tokenRejected(rechargestatus.MessageExpiredToken)
	}
	partner, _ := claims["partnerId"].(string)
	if partner != reg.PartnerIDOrID() {
		return authError(rechargestatus.MessageAuthenticationFailed, "claim partnerId does not match the registration")
	}
	reqid := claimString(claims["reqid"])
	if reqid == "" {
		return authError(rechargestatus.MessageAuthenticationFailed, "claim reqid is required")
	}
	limit := v.ReplayCacheSize
	if limit <= 0 {
		limit = DefaultReplayCacheSize
	}
	switch v.replays.use(replayKey(reg.ID, reqid), issued.Add(rechargestatus.TokenWindow).Unix(), now, limit) {
	case replayRepeated:
		return authError(rechargestatus.MessageAuthenticationFailed, fmt.Sprintf("reqid %s was already used", abbreviate(reqid)))
	case replayCacheFull:
		return authError(rechargestatus.MessageAuthenticationFailed, fmt.Sprintf("the replay cache is full (%d reqids of unexpired tokens): retry once older tokens expire", limit))
	}
	return nil
}

// abbreviate shortens a reqid for a remark, so that a huge one is not
// echoed back whole.
func abbreviate(reqid string) string {
	if len(reqid) <= MaxRememberedReqidLength {
		return reqid
	}
	return strings.ToValidUTF8(reqid[:MaxRememberedReqidLength], "") + "…"
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
