// Package envconfig reads a service's BOARDPACK_* settings from the
// environment, with defaults that suit the local run, and prints the
// effective configuration at start with secrets masked.
//
// Names follow one scheme: a setting only one service reads is
// BOARDPACK_<SERVICE>_<NAME> (BOARDPACK_MAILER_WORKERS,
// BOARDPACK_AWS_COLLECTOR_INTERVAL); one that means the same to every
// service that reads it is BOARDPACK_<NAME> (BOARDPACK_HTTP_ADDR,
// BOARDPACK_TABLE, BOARDPACK_LOCAL). A renamed setting keeps its old name
// as a deprecated alias (Reader.Aliases): it is still read when the new
// name is unset, and Log warns that it is deprecated.
//
// Each service has one config struct, filled by loadConfig from a Reader
// with its defaults, checked by Validate (every problem at once), and
// printed at start.
package envconfig

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// Reader reads variables and collects every problem, so a service reports
// all of its configuration mistakes at once.
type Reader struct {
	// Aliases maps a setting's name to the deprecated name it replaced.
	Aliases map[string]string

	errs       []error
	entries    []entry
	deprecated []deprecation
}

type deprecation struct {
	old, key string
	ignored  bool // both set: the new name wins
}

type entry struct {
	key, value string
	secret     bool
}

func (r *Reader) lookup(key, def string, secret bool) string {
	v, ok := os.LookupEnv(key)
	if old, has := r.Aliases[key]; has {
		if ov, set := os.LookupEnv(old); set && ov != "" {
			ignored := ok && v != ""
			if !ignored {
				v, ok = ov, true
			}
			r.deprecated = append(r.deprecated, deprecation{old: old, key: key, ignored: ignored})
		}
	}
	if !ok || v == "" {
		v = def
	}
	r.entries = append(r.entries, entry{key: key, value: v, secret: secret})
	return v
}

// String returns the variable or def.
func (r *Reader) String(key, def string) string { return r.lookup(key, def, false) }

// Secret is String for values that must never be printed.
func (r *Reader) Secret(key, def string) string { return r.lookup(key, def, true) }

// Duration parses a Go duration ("30s", "15m").
func (r *Reader) Duration(key string, def time.Duration) time.Duration {
	v := r.lookup(key, def.String(), false)
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		r.errs = append(r.errs, fmt.Errorf("%s: %q is not a duration like 30s or 15m", key, v))
		return def
	}
	return d
}

// Int parses a whole number.
func (r *Reader) Int(key string, def int) int {
	v := r.lookup(key, strconv.Itoa(def), false)
	n, err := strconv.Atoi(v)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %q is not a whole number", key, v))
		return def
	}
	return n
}

// Bool parses true/false/1/0.
func (r *Reader) Bool(key string, def bool) bool {
	v := r.lookup(key, strconv.FormatBool(def), false)
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %q is not true or false", key, v))
		return def
	}
	return b
}

// List splits a comma-separated variable, dropping empty items.
func (r *Reader) List(key, def string) []string {
	var out []string
	for _, s := range strings.Split(r.lookup(key, def, false), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Fail records a problem found while checking values together.
func (r *Reader) Fail(format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf(format, args...))
}

// Err returns every problem found, or nil.
func (r *Reader) Err() error { return errors.Join(r.errs...) }

// Log prints the effective configuration, secrets masked, plus the AWS
// variables that select the endpoint.
func (r *Reader) Log(log *slog.Logger, service string) {
	attrs := []any{}
	for _, e := range r.entries {
		v := e.value
		if e.secret {
			v = Mask(v)
		}
		attrs = append(attrs, slog.String(e.key, v))
	}
	for _, k := range []string{"AWS_REGION", "AWS_ENDPOINT_URL", "AWS_PROFILE"} {
		if v := os.Getenv(k); v != "" {
			attrs = append(attrs, slog.String(k, v))
		}
	}
	log.Info("effective configuration", attrs...)
	for _, d := range r.deprecated {
		if d.ignored {
			log.Warn("deprecated setting ignored: its new name is set", "deprecated", d.old, "use", d.key)
			continue
		}
		log.Warn("deprecated setting: rename it", "deprecated", d.old, "use", d.key)
	}
}

// Deprecated lists the deprecated names the environment set, as
// "OLD (use NEW)".
func (r *Reader) Deprecated() []string {
	var out []string
	for _, d := range r.deprecated {
		out = append(out, d.old+" (use "+d.key+")")
	}
	return out
}

// Mask hides a secret, keeping only whether it is set.
func Mask(v string) string {
	if v == "" {
		return ""
	}
	return "****"
}
