// Package partnertoken makes the Token a partner's client sends the
// provider. The contract suite signs with it, and so do the tests of the
// mock; the mock's own check of a Token is its domain's (mockserver/recharge).
package partnertoken

import (
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Sign makes a Token the way a partner's client does: HS256 with the
// partner's key, claims timestamp (Unix seconds), partnerId and reqid.
func Sign(key, partnerID, reqid string, at time.Time) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"timestamp": at.Unix(),
		"partnerId": partnerID,
		"reqid":     reqid,
	})
	return t.SignedString([]byte(key))
}
