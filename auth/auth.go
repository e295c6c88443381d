// Package auth owns staff identities: users and their roles, password
// hashing, bearer tokens and the throttling of failed logins.
//
// Other domains see only an Actor: who is acting, in which role, and for
// department users which department they belong to.
package auth

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/textguard"
)

// Role is what a staff user is allowed to do.
type Role string

// The roles. Admins have every supervisor power and also manage the system.
const (
	RoleAdmin      Role = "admin"
	RoleSupervisor Role = "supervisor"
	RoleAgent      Role = "agent"
	RoleDepartment Role = "department"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleSupervisor, RoleAgent, RoleDepartment}

// ParseRole returns the role named s, or an invalid error.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles, r) {
		return "", errs.E(errs.Invalid, "unknown role %q (want admin, supervisor, agent or department)", s)
	}
	return r, nil
}

// User is a staff account.
type User struct {
	ID           int64
	Username     string
	DisplayName  string
	Role         Role
	Department   string // department code; set only for RoleDepartment
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time
}

// Actor returns the identity this user acts with.
func (u *User) Actor() Actor {
	return Actor{UserID: u.ID, Username: u.Username, Role: u.Role, Department: u.Department}
}

// Actor is who performs an action. The zero Actor is the system itself
// (sweeps, seeding), recorded in history with no user.
type Actor struct {
	UserID     int64
	Username   string
	Role       Role
	Department string
}

// Is reports whether the actor has one of the roles.
func (a Actor) Is(roles ...Role) bool { return slices.Contains(roles, a.Role) }

// IsStaff reports whether the actor works for the hotline itself (not a department).
func (a Actor) IsStaff() bool { return a.Is(RoleAdmin, RoleSupervisor, RoleAgent) }

// System is the actor for automatic changes.
var System = Actor{Username: "system"}

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// normalizeUsername is the form usernames are stored and looked up in.
func normalizeUsername(u string) string {
	if len(u) > 256 { // no account has such a name; do not copy it around
		return u
	}
	return strings.ToLower(strings.TrimSpace(u))
}

// reservedNames are the names the system itself acts under in history
// and logs, and names that pass for an administrator. "admin" itself is
// the first administrator's name and stays allowed.
var reservedNames = []string{"system", "webhook", "citizen", "bot", "hotline", "root", "administrator",
	"superuser", "sysadmin", "anonymous", "null", "nobody", "support", "security"}

// reserved reports whether a username may not be created: a reserved name,
// or one that reads as a reserved name or as "admin" once separators,
// digits standing for letters (0→o, 3→e, 4→a, 5→s; 1 and l both read as
// i) and trailing digits are set aside ("sys-tem", "adm1n", "admin2",
// "admin.").
func reserved(username string) bool {
	if username == "admin" {
		return false
	}
	skeleton := strings.Map(func(r rune) rune {
		switch r {
		case '.', '_', '-':
			return -1
		case '0':
			return 'o'
		case '1':
			return 'i'
		case '3':
			return 'e'
		case '4':
			return 'a'
		case '5':
			return 's'
		case 'l':
			return 'i'
		}
		return r
	}, strings.TrimRight(username, "0123456789"))
	for _, name := range append(reservedNames, "admin") {
		if skeleton == strings.ReplaceAll(name, "l", "i") {
			return true
		}
	}
	return false
}

// NewUser is the input for creating a user.
type NewUser struct {
	Username    string
	DisplayName string
	Role        Role
	Department  string
	Password    string
}

// Validate checks the input; it returns an invalid error naming the problem.
func (n NewUser) Validate() error {
	if !usernamePattern.MatchString(n.Username) {
		return errs.E(errs.Invalid, "username must be 2-64 characters of a-z, 0-9, '.', '_' or '-'")
	}
	if reserved(n.Username) {
		return errs.E(errs.Invalid, "username %q is reserved", n.Username)
	}
	if _, err := ParseRole(string(n.Role)); err != nil {
		return err
	}
	if n.Role == RoleDepartment && n.Department == "" {
		return errs.E(errs.Invalid, "a department user needs a department")
	}
	if n.Role != RoleDepartment && n.Department != "" {
		return errs.E(errs.Invalid, "only department users belong to a department")
	}
	if err := textguard.Check("display name", n.DisplayName, true); err != nil {
		return err
	}
	if len([]rune(n.DisplayName)) > 100 {
		return errs.E(errs.Invalid, "display name is longer than 100 characters")
	}
	if len(n.Password) < 8 || len(n.Password) > 256 {
		return errs.E(errs.Invalid, "password must be 8-256 characters")
	}
	return nil
}
