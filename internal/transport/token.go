package transport

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/security/null"
)

// tokenProperty is the READY metadata property that carries a Dealer's
// token (ZMTP 3.1 allows application properties prefixed with "X-";
// libzmq, and so Locust, ignores properties it does not know). zmq4
// title-cases property names in both directions.
const tokenProperty = "X-Herd-Token"

// tokenProof is what a Dealer sends for token: a hash of it, so that the
// token itself never crosses the network and every proof has the same
// length (which keeps the comparison constant-time). A proof replayed
// by someone who captured it still opens the door: the token keeps out
// peers that do not know it, not eavesdroppers (ZMTP's NULL mechanism
// does not encrypt).
func tokenProof(token string) string {
	sum := sha256.Sum256([]byte("herd master token\x00" + token))
	return hex.EncodeToString(sum[:])
}

// tokenOK reports whether a peer's READY metadata carries the proof of
// token, comparing in constant time.
func tokenOK(meta zmq4.Metadata, token string) bool {
	return subtle.ConstantTimeCompare([]byte(meta[tokenProperty]), []byte(tokenProof(token))) == 1
}

// tokenSecurity is zmq4's NULL mechanism with the token's proof added to
// our READY metadata: zmq4.Open sends the READY within its handshake and
// offers no other place to add a property.
type tokenSecurity struct {
	zmq4.Security
	proof string
}

// security returns the mechanism for a handshake presenting token.
func security(token string) zmq4.Security {
	if token == "" {
		return null.Security()
	}
	return tokenSecurity{Security: null.Security(), proof: tokenProof(token)}
}

// Handshake adds the proof to the metadata, then runs NULL's handshake.
// zmq4 sends application properties as "X-" + the name.
func (s tokenSecurity) Handshake(conn *zmq4.Conn, server bool) error {
	conn.Meta["Herd-Token"] = s.proof
	return s.Security.Handshake(conn, server)
}
