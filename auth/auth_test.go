package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
)

func TestPassword_HashAndVerify(t *testing.T) {
	h := auth.FastHasher()
	enc, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC Argon2id string", enc)
	}
	if ok, err := auth.VerifyPassword(enc, "correct horse"); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, err := auth.VerifyPassword(enc, "correct horse!"); ok || err != nil {
		t.Fatalf("wrong password: %v %v", ok, err)
	}
	again, err := h.Hash("correct horse")
	if err != nil || again == enc {
		t.Fatal("two hashes of one password are equal: the salt is missing")
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=64,t=1,p=1$!!$!!", "$bcrypt$x$y$z$w", "$argon2id$v=18$m=64,t=1,p=1$AAAA$AAAA"} {
		if ok, err := auth.VerifyPassword(bad, "x"); ok || err == nil {
			t.Errorf("malformed hash %q: %v %v", bad, ok, err)
		}
	}
}

func TestThrottle_RetryAfter(t *testing.T) {
	th := auth.Throttle{Max: 3, Window: 10 * time.Minute}
	start := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	if d := th.RetryAfter(auth.Failures{Count: 2, First: start}, start.Add(time.Minute)); d != 0 {
		t.Fatalf("below the limit: wait %v", d)
	}
	if d := th.RetryAfter(auth.Failures{Count: 3, First: start}, start.Add(time.Minute)); d != 9*time.Minute {
		t.Fatalf("at the limit: wait %v, want 9m", d)
	}
	if d := th.RetryAfter(auth.Failures{Count: 30, First: start}, start.Add(10*time.Minute)); d != 0 {
		t.Fatalf("after the window: wait %v", d)
	}
}

func TestNewUser_Validate(t *testing.T) {
	ok := auth.NewUser{Username: "agent1", Role: auth.RoleAgent, Password: "password1"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []auth.NewUser{
		{Username: "A", Role: auth.RoleAgent, Password: "password1"},
		{Username: "bad name", Role: auth.RoleAgent, Password: "password1"},
		{Username: "x1", Role: "root", Password: "password1"},
		{Username: "x1", Role: auth.RoleDepartment, Password: "password1"},
		{Username: "x1", Role: auth.RoleAgent, Department: "rsj", Password: "password1"},
		{Username: "x1", Role: auth.RoleAgent, Password: "short"},
		{Username: "x1", Role: auth.RoleAgent, Password: strings.Repeat("p", 257)},
	} {
		if bad.Validate() == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}
