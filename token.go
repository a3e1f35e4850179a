package rechargestatus

import "time"

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
