package sip

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/open12345/hotline/clock"
)

// Nonce limits: a nonce answers for nonceTTL; at most maxNonces are
// outstanding, so that a flood of challenges cannot grow memory.
const (
	nonceTTL  = 5 * time.Minute
	maxNonces = 10000
)

// nonces are the outstanding digest challenges with the highest nonce
// count each has been used with, so that a replay (same nonce and nc) is
// refused.
type nonces struct {
	clock clock.Clock
	mu    sync.Mutex
	m     map[string]*nonce
}

type nonce struct {
	issued time.Time
	nc     int
}

func newNonces(clk clock.Clock) *nonces { return &nonces{clock: clk, m: map[string]*nonce{}} }

// issue returns a new random nonce, or "" when too many are outstanding.
func (n *nonces) issue() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	v := hex.EncodeToString(b[:])
	now := n.clock.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.m) >= maxNonces {
		for k, x := range n.m {
			if now.Sub(x.issued) >= nonceTTL {
				delete(n.m, k)
			}
		}
		if len(n.m) >= maxNonces {
			return ""
		}
	}
	n.m[v] = &nonce{issued: now}
	return v
}

// nonceState is what use found.
type nonceState int

const (
	nonceFresh  nonceState = iota // known, unexpired, nc higher than before
	nonceStale                    // unknown or expired: challenge again with stale=true
	nonceReplay                   // nc not higher than one already used
)

// use records nc for v if it is higher than any before.
func (n *nonces) use(v string, nc int) nonceState {
	now := n.clock.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	x, ok := n.m[v]
	switch {
	case !ok:
		return nonceStale
	case now.Sub(x.issued) >= nonceTTL:
		delete(n.m, v)
		return nonceStale
	case nc <= x.nc:
		return nonceReplay
	}
	x.nc = nc
	return nonceFresh
}

// digestResponse is the RFC 2617 response with qop=auth.
func digestResponse(ha1, method, uri, nonce string, nc int, cnonce string) string {
	ha2 := md5hex(method + ":" + uri)
	return md5hex(fmt.Sprintf("%s:%s:%08x:%s:auth:%s", ha1, nonce, nc, cnonce, ha2))
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// equal compares digests in constant time.
func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
