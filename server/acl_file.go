package server

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// Where users persist. As in Redis, users live in the configuration: the
// config file's "user" directives, or the file named by aclfile (one
// "user name rules..." line per user, the format of ACL LIST), which ACL
// SAVE writes and ACL LOAD reads. Using both is refused at start-up, as
// Redis refuses it. Moonstone has no CONFIG REWRITE, so users made with
// ACL SETUSER outlive a restart only through ACL SAVE to an aclfile.

// loadAtStartup creates the users of the config file's user directives,
// then loads the ACL file if one is set (ACLLoadUsersAtStartup).
func (t *aclTable) loadAtStartup() error {
	cfg := t.srv.cfg
	path := cfg.Get("aclfile")
	if path != "" && len(cfg.users) > 0 {
		return errors.New("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.")
	}
	if pass := cfg.RequirePass(); pass != "" {
		t.setRequirePass(pass)
	}
	seen := map[string]bool{}
	for _, words := range cfg.users {
		if err := t.loadConfigUser(words, seen); err != nil {
			return err
		}
	}
	if path != "" {
		if msg := t.loadFile(nil, path); msg != "" {
			return errors.New("Aborting Redis startup because of ACL errors: " + msg)
		}
	}
	return nil
}

// loadConfigUser creates one user of a "user name rules..." directive
// (ACLAppendUserForLoading, then ACLLoadConfiguredUsers): the default
// user is reset first; a second directive for a name is an error.
func (t *aclTable) loadConfigUser(words []string, seen map[string]bool) error {
	fail := func(arg string, err error) error {
		return fmt.Errorf("Error in user declaration '%s': %s", arg, err)
	}
	name := words[0]
	if seen[name] {
		return fail(name, errACLDuplicate)
	}
	seen[name] = true
	if hasACLSpaces(name) {
		return errors.New("Spaces not allowed in ACL usernames")
	}
	ops, unclosed := mergeSelectors(words[1:])
	if unclosed != "" {
		return fail(unclosed, errACLSyntax)
	}
	r := t.newRules()
	if name == defaultUser {
		r = t.def.current().clone()
		t.applyUser(r, "reset")
	}
	for _, op := range ops {
		if err := t.applyUser(r, op); err != nil {
			return fail(op, err)
		}
	}
	if !r.enabled {
		t.srv.logf(levelNotice, "The user '%s' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.", name)
	}
	if name == defaultUser {
		t.def.rules.Store(r.seal())
		return nil
	}
	u := &aclUser{name: name}
	u.rules.Store(r.seal())
	t.users[name] = u
	return nil
}

// loadFile replaces every user with the ACL file's, or changes nothing
// and returns Redis's description of every problem found
// (ACLLoadFromFile). The default user keeps its identity (connections
// authenticated as it stay); connections of every other user are
// closed, c's own after its reply, as Redis 7.0 frees the old users.
func (t *aclTable) loadFile(c *Call, path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("Error loading ACLs, opening file '%s': %s", path, strerror(err))
	}
	var errs strings.Builder
	users := map[string]*aclRules{}
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.Trim(line, " \t\r\n")
		if line == "" {
			continue
		}
		argv := strings.Split(line, " ")
		if argv[0] != "user" || len(argv) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", path, n)
			continue
		}
		name := argv[1]
		if hasACLSpaces(name) {
			fmt.Fprintf(&errs, "'%s:%d: username '%s' contains invalid characters. ", path, n, name)
			continue
		}
		if users[name] != nil {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", name, n)
			continue
		}
		r := t.newRules()
		users[name] = r
		ops, unclosed := mergeSelectors(argv[2:])
		if unclosed != "" {
			fmt.Fprintf(&errs, "%s:%d: Unmatched parenthesis in selector definition.", path, n)
		}
		syntax := false
		for _, op := range ops {
			op = strings.Trim(op, "\t\r\n")
			err := t.applyUser(r, op)
			switch {
			case err == nil:
			case err == errACLUnknown:
				fmt.Fprintf(&errs, "%s:%d: Error in applying operation '%s': %s. ", path, n, op, err)
			case !syntax:
				fmt.Fprintf(&errs, "%s:%d: %s. ", path, n, err)
				syntax = true
			}
		}
	}
	if errs.Len() > 0 {
		return errs.String() + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
	}
	def := users[defaultUser]
	if def == nil {
		def = t.defaultRules()
	}
	t.mu.Lock()
	old := t.users
	t.users = map[string]*aclUser{defaultUser: t.def}
	for name, r := range users {
		if name == defaultUser {
			continue
		}
		u := &aclUser{name: name}
		u.rules.Store(r.seal())
		t.users[name] = u
	}
	t.def.rules.Store(def.seal())
	t.mu.Unlock()
	for name, u := range old {
		if name != defaultUser {
			t.srv.disconnectUser(c, u)
		}
	}
	return ""
}

// saveFile writes every user to path, through a temporary file renamed
// over it (ACLSaveToFile).
func (t *aclTable) saveFile(path string) error {
	var b strings.Builder
	for _, u := range t.sortedUsers() {
		b.WriteString("user " + u.name + " " + t.describe(u.current()) + "\n")
	}
	tmp := fmt.Sprintf("%s.tmp-%d-%d", path, os.Getpid(), time.Now().UnixMilli())
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// strerror is C's text for a system error ("No such file or directory").
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return err.Error()
}
