package rechargestatus

import (
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Headers a partner authenticates with upstream: a JWT in Token, and in the
// provider's test environment an Authorisedkey.
const (
	TokenHeader         = "Token"
	AuthorisedKeyHeader = "Authorisedkey"
)

// TokenWindow is how long a token's timestamp stays valid, either way.
const TokenWindow = 5 * time.Minute

// Messages of failed authentication, as the provider and the JWT decoder it
// runs on word them.
const (
	MessageAuthenticationFailed     = "Authentication failed"
	MessageInvalidSignatureEncoding = "Invalid signature encoding"
	MessageWrongSegments            = "Wrong number of segments"
	MessageInvalidHeaderEncoding    = "Invalid header encoding"
	MessageInvalidClaimsEncoding    = "Invalid claims encoding"
	MessageSignatureFailed          = "Signature verification failed"
	MessageExpiredToken             = "Expired token"
	MessageAlgorithmNotAllowed      = "Algorithm not allowed"
)

// SignToken makes a Token the way a partner's client does: HS256 with the
// partner's key, claims timestamp (Unix seconds), partnerId and reqid.
func SignToken(key, partnerID, reqid string, at time.Time) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"timestamp": at.Unix(),
		"partnerId": partnerID,
		"reqid":     reqid,
	})
	return t.SignedString([]byte(key))
}
