// Package platform is the plumbing every Boardpack service shares and that
// carries no business meaning: AWS SDK configuration and request counting
// (awsconf), settings from the environment (envconfig), the HTTP server with
// health and metrics (httpserver), the logger (logging), readiness checks
// (readiness), the SNS/SQS bus on watermill (bus), the names of the AWS
// resources and their local bootstrap (resources), and the moto harness the
// tests start (mototest). Nothing under platform imports domain.
package platform
