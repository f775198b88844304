// Package ssm is the SSM operation Boardpack calls (GetParameter), on
// package awsjson rather than the SDK's generated service/ssm package
// (see awsjson for why). Its names follow the SDK's, so a call reads the
// same and the IAM test finds the action (ssm:GetParameter) from
// *GetParameterInput.
package ssm

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/boardpack/boardpack/services/internal/platform/awsjson"
)

// Service is SSM on the JSON 1.1 protocol.
var Service = awsjson.Service{ID: "SSM", SigningName: "ssm", TargetPrefix: "AmazonSSM"}

// Client calls SSM.
type Client struct{ c *awsjson.Client }

// NewFromConfig returns a client configured by cfg, as the SDK's
// constructor of the same name.
func NewFromConfig(cfg aws.Config) *Client { return &Client{awsjson.New(cfg, Service)} }

// GetParameterInput names the parameter to read.
type GetParameterInput struct {
	Name *string `json:"Name,omitempty"`
	// WithDecryption decrypts a SecureString (KMS).
	WithDecryption *bool `json:"WithDecryption,omitempty"`
}

// GetParameterOutput is the parameter read.
type GetParameterOutput struct {
	Parameter *Parameter `json:"Parameter,omitempty"`
}

// Parameter is the part of an SSM parameter Boardpack reads.
type Parameter struct {
	Name    *string `json:"Name,omitempty"`
	Type    string  `json:"Type,omitempty"`
	Value   *string `json:"Value,omitempty"`
	Version int64   `json:"Version,omitempty"`
	ARN     *string `json:"ARN,omitempty"`
}

// GetParameter reads one parameter.
func (c *Client) GetParameter(ctx context.Context, in *GetParameterInput) (*GetParameterOutput, error) {
	if in == nil {
		in = &GetParameterInput{}
	}
	out := &GetParameterOutput{}
	if err := c.c.Invoke(ctx, "GetParameter", in, out); err != nil {
		return nil, err
	}
	return out, nil
}
