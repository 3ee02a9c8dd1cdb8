package server

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// ParseArgs builds a configuration the way redis-server reads its command
// line: an optional config file first, then "--name value ..." options that
// override it (an option's value is every word up to the next "--name").
func ParseArgs(args []string) (*Config, error) {
	cfg := NewConfig()
	if len(args) > 0 && !strings.HasPrefix(args[0], "--") {
		if err := cfg.LoadFile(args[0]); err != nil {
			return nil, err
		}
		cfg.configFile = args[0]
		args = args[1:]
	}
	for i := 0; i < len(args); {
		name := args[i]
		if !strings.HasPrefix(name, "--") || len(name) == 2 {
			return nil, fmt.Errorf("unexpected argument %q: options look like --port 6380", name)
		}
		j := i + 1
		var vals []string
		for ; j < len(args) && !strings.HasPrefix(args[j], "--"); j++ {
			vals = append(vals, args[j])
		}
		if err := cfg.Load(name[2:], strings.Join(vals, " ")); err != nil {
			return nil, err
		}
		i = j
	}
	return cfg, cfg.Validate()
}

// LoadFile reads a redis.conf-style file: one "name value ..." directive a
// line, '#' comments, values quoted as in redis.conf.
func (c *Config) LoadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("can't open config file '%s': %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		words, ok := splitInline([]byte(line))
		if !ok || len(words) == 0 {
			return fmt.Errorf("%s:%d: unbalanced quotes", path, n)
		}
		if strings.EqualFold(string(words[0]), "user") {
			user := make([]string, len(words)-1)
			for i, w := range words[1:] {
				user[i] = string(w)
			}
			if err := c.addUser(user); err != nil {
				return fmt.Errorf("%s:%d: %v", path, n, err)
			}
			continue
		}
		vals := make([]string, len(words)-1)
		for i, w := range words[1:] {
			vals[i] = string(w)
		}
		if err := c.Load(string(words[0]), strings.Join(vals, " ")); err != nil {
			return fmt.Errorf("%s:%d: %v", path, n, err)
		}
	}
	return sc.Err()
}

// addUser keeps a "user" directive's words for start-up (acl_file.go).
func (c *Config) addUser(words []string) error {
	if len(words) == 0 {
		return fmt.Errorf("Bad directive or wrong number of arguments")
	}
	c.users = append(c.users, words)
	return nil
}
