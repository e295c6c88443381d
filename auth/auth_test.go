package auth_test

import (
	"strings"
	"testing"

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
		{Username: "x1", Role: auth.RoleAgent, DisplayName: "坐席\u202e", Password: "password1"},
	} {
		if bad.Validate() == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}

func TestNewUser_ReservedNamesAreRefused(t *testing.T) {
	for _, name := range []string{"system", "sys-tem", "5ystem", "webhook", "root", "administrator", "adm1n",
		"admin2", "admin_", "a.dmin", "4dmin", "superuser", "citizen"} {
		n := auth.NewUser{Username: name, Role: auth.RoleAdmin, Password: "password1"}
		if err := n.Validate(); err == nil || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("%q: %v, want reserved", name, err)
		}
	}
	for _, name := range []string{"admin", "agent1", "dept-rsj", "supervisor", "lily", "adminstaff", "sysops"} {
		n := auth.NewUser{Username: name, Role: auth.RoleAdmin, Password: "password1"}
		if err := n.Validate(); err != nil {
			t.Errorf("%q refused: %v", name, err)
		}
	}
}
