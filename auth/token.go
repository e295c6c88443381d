package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"
)

// Token is a stored bearer token. Only its SHA-256 hash is kept, so a
// leaked database does not leak usable sessions.
type Token struct {
	Hash      []byte
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// NewToken returns a fresh random token and its hash.
func NewToken() (plain string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("read token: %w", err)
	}
	plain = base64.RawURLEncoding.EncodeToString(b)
	return plain, HashToken(plain), nil
}

// HashToken returns the stored form of a token.
func HashToken(plain string) []byte {
	sum := sha256.Sum256([]byte(plain))
	return sum[:]
}
