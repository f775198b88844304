package tenants

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// MinExternalIDLen is the shortest external id accepted with a role: a
// short or guessable one lets anyone who learns the role ARN have
// Boardpack read the tenant's account (the confused deputy).
const MinExternalIDLen = 16

// externalIDChars is what STS accepts in an external id.
var externalIDChars = regexp.MustCompile(`^[\w+=,.@:/-]+$`)

type fieldProblem struct{ field, problem string }

// problems are the aws section's problems under policy p.
func (a AWS) problems(tenantID string, p Policy) []fieldProblem {
	var out []fieldProblem
	bad := func(field, format string, args ...any) {
		out = append(out, fieldProblem{field, fmt.Sprintf(format, args...)})
	}
	if a.RoleARN == "" {
		if a.ExternalID != "" {
			bad("aws.external_id", "needs aws.role_arn")
		}
		if !p.AllowAmbientAWS {
			bad("aws.role_arn", "required: without a role the tenant would be read in the hosting account (%s=true allows that, for local runs)", EnvAllowAmbientAWS)
		}
		return out
	}
	if !strings.HasPrefix(a.RoleARN, "arn:") {
		bad("aws.role_arn", "%q is not an ARN", a.RoleARN)
	}
	if err := a.CheckExternalID(tenantID); err != nil {
		bad("aws.external_id", "%v", err)
	}
	return out
}

// CheckExternalID checks the external id that comes with a role: present,
// at least MinExternalIDLen characters STS accepts, and not derived from the
// tenant id. The collector checks it again before assuming the role, for
// tenants applied before this rule.
func (a AWS) CheckExternalID(tenantID string) error {
	switch id := a.ExternalID; {
	case id == "":
		return errors.New("required with aws.role_arn: at least 16 random characters, different for each tenant")
	case len(id) < MinExternalIDLen:
		return fmt.Errorf("at least %d characters (random, different for each tenant); it has %d", MinExternalIDLen, len(id))
	case !externalIDChars.MatchString(id):
		return errors.New("only letters, digits and +=,.@:/-_ (what STS accepts)")
	case tenantID != "" && strings.Contains(strings.ToLower(id), strings.ToLower(tenantID)):
		return errors.New("must not contain the tenant id: anyone can guess it; use random characters")
	case notRandom(id):
		return fmt.Errorf("looks typed, not random (fewer than %d different characters, or one straight run such as 0123…): use random characters, e.g. openssl rand -hex 16", minDistinctExternalID)
	}
	return nil
}

// minDistinctExternalID: 16 random characters of even the hex alphabet
// have fewer less than once in a million (C(16,4)·(4/16)^16 ≈ 4e-7).
const minDistinctExternalID = 5

// notRandom reports an external id anyone could guess: few different
// characters ("aaaaaaaaaaaaaaaa", "abababab…") or one run of characters
// in steady steps ("abcdefghijklmnop").
func notRandom(id string) bool {
	distinct := map[rune]bool{}
	for _, r := range id {
		distinct[r] = true
	}
	if len(distinct) < minDistinctExternalID {
		return true
	}
	rs := []rune(id)
	step := rs[1] - rs[0]
	for i := 2; i < len(rs); i++ {
		if rs[i]-rs[i-1] != step {
			return false
		}
	}
	return true
}
