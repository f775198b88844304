// Package deploytest holds the tests of Boardpack's deployment artefacts: the
// CloudFormation template (cfn-lint, a deploy into moto, least-privilege
// IAM derived from the services' code), the Dockerfiles and
// docker-compose.yml. It has no code of its own.
package deploytest
