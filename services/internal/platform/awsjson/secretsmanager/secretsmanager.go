// Package secretsmanager is the Secrets Manager operation Boardpack calls
// (GetSecretValue), on package awsjson rather than the SDK's generated
// service/secretsmanager package (see awsjson for why). Its names follow
// the SDK's, so a call reads the same and the IAM test finds the action
// (secretsmanager:GetSecretValue) from *GetSecretValueInput.
package secretsmanager

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/boardpack/boardpack/services/internal/platform/awsjson"
)

// Service is Secrets Manager on the JSON 1.1 protocol.
var Service = awsjson.Service{ID: "Secrets Manager", SigningName: "secretsmanager", TargetPrefix: "secretsmanager", RegionalIsDualStack: true}

// Client calls Secrets Manager.
type Client struct{ c *awsjson.Client }

// NewFromConfig returns a client configured by cfg, as the SDK's
// constructor of the same name.
func NewFromConfig(cfg aws.Config) *Client { return &Client{awsjson.New(cfg, Service)} }

// GetSecretValueInput names the secret (name or ARN) and, optionally, its
// version.
type GetSecretValueInput struct {
	SecretId     *string `json:"SecretId,omitempty"`
	VersionId    *string `json:"VersionId,omitempty"`
	VersionStage *string `json:"VersionStage,omitempty"`
}

// GetSecretValueOutput is the secret read. SecretBinary is decoded from
// the wire's base64.
type GetSecretValueOutput struct {
	ARN           *string  `json:"ARN,omitempty"`
	Name          *string  `json:"Name,omitempty"`
	SecretString  *string  `json:"SecretString,omitempty"`
	SecretBinary  []byte   `json:"SecretBinary,omitempty"`
	VersionId     *string  `json:"VersionId,omitempty"`
	VersionStages []string `json:"VersionStages,omitempty"`
}

// GetSecretValue reads one secret's value.
func (c *Client) GetSecretValue(ctx context.Context, in *GetSecretValueInput) (*GetSecretValueOutput, error) {
	if in == nil {
		in = &GetSecretValueInput{}
	}
	out := &GetSecretValueOutput{}
	if err := c.c.Invoke(ctx, "GetSecretValue", in, out); err != nil {
		return nil, err
	}
	return out, nil
}
