// Package awsjson calls a few operations of AWS JSON 1.1 services (SSM,
// Secrets Manager) without the SDK's generated service packages.
//
// Why: a generated package costs whether or not its client is used. The
// SSM package alone builds 1.4 MB of operation schemas in its init
// (GODEBUG=inittrace=1: 7,939 allocations, live for the whole process)
// and brings MiB of code and endpoint tables; a service that reads one
// parameter pays it in idle RSS (P6 in BENCHMARKS.md). The secret
// resolver needs one operation of each service, so it calls them here.
//
// What stays the SDK's: the configuration (aws.Config: region,
// credentials, HTTP client, retryer, and the APIOptions awsconf adds: the
// request counter and the per-operation deadline), the smithy middleware
// stack, SigV4 signing, the standard retry middleware (throttling, 5xx
// and transport errors, clock skew), response-error wrapping and the
// request id. Errors are the SDK's types (smithy.OperationError around
// awshttp.ResponseError around an APIError, a smithy.APIError), so errors.As
// with smithy.APIError reads the same codes as from a generated client.
//
// The subpackages ssm and secretsmanager declare the operations with
// <Op>Input types, as the SDK does: the IAM test (services/e2e/deploytest)
// finds the actions from those types.
package awsjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Service describes one JSON 1.1 service.
type Service struct {
	// ID is the SDK's service id ("SSM", "Secrets Manager"): the metrics'
	// service label and the name of AWS_ENDPOINT_URL_<ID> (upper case,
	// blanks as underscores) and of the shared config's services section.
	ID string
	// SigningName is SigV4's service name, and the endpoint's host prefix.
	SigningName string
	// TargetPrefix goes before the operation in X-Amz-Target.
	TargetPrefix string
	// RegionalIsDualStack: the regional endpoints already answer over
	// IPv6, and the SDK ignores AWS_USE_DUALSTACK_ENDPOINT (Secrets
	// Manager's endpoint rules).
	RegionalIsDualStack bool
}

// Client calls one service's operations with an aws.Config.
type Client struct {
	svc      Service
	cfg      aws.Config
	endpoint string
	err      error // of resolving the endpoint, returned by every call
	http     smithyhttp.ClientDo
	retryer  aws.Retryer
	signer   *v4.Signer
}

// New returns a client of svc configured by cfg.
func New(cfg aws.Config, svc Service) *Client {
	c := &Client{svc: svc, cfg: cfg, signer: v4.NewSigner()}
	c.endpoint, c.err = resolveEndpoint(cfg, svc)
	if cfg.HTTPClient != nil {
		c.http = cfg.HTTPClient
	} else {
		c.http = awshttp.NewBuildableClient()
	}
	if cfg.Retryer != nil {
		c.retryer = cfg.Retryer()
	} else {
		c.retryer = retry.NewStandard()
	}
	if cfg.RetryMaxAttempts > 0 {
		c.retryer = retry.AddWithMaxAttempts(c.retryer, cfg.RetryMaxAttempts)
	}
	return c
}

// Endpoint is the base URL the client sends to.
func (c *Client) Endpoint() string { return c.endpoint }

// Invoke calls operation with in marshalled as its JSON body and
// unmarshals the answer into out.
func (c *Client) Invoke(ctx context.Context, operation string, in, out any) error {
	if c.err != nil {
		return &smithy.OperationError{ServiceID: c.svc.ID, OperationName: operation, Err: c.err}
	}
	stack := middleware.NewStack(operation, smithyhttp.NewStackRequest)
	if err := c.buildStack(stack, operation, out); err != nil {
		return &smithy.OperationError{ServiceID: c.svc.ID, OperationName: operation, Err: err}
	}
	handler := middleware.DecorateHandler(smithyhttp.NewClientHandler(c.http), stack)
	if _, _, err := handler.Handle(ctx, in); err != nil {
		return &smithy.OperationError{ServiceID: c.svc.ID, OperationName: operation, Err: err}
	}
	return nil
}

func (c *Client) buildStack(stack *middleware.Stack, operation string, out any) error {
	steps := []func(*middleware.Stack) error{
		func(s *middleware.Stack) error {
			return s.Initialize.Add(&awsmiddleware.RegisterServiceMetadata{
				ServiceID: c.svc.ID, SigningName: c.svc.SigningName, Region: c.cfg.Region, OperationName: operation,
			}, middleware.Before)
		},
		func(s *middleware.Stack) error {
			return s.Serialize.Add(&serialize{endpoint: c.endpoint, target: c.svc.TargetPrefix + "." + operation}, middleware.After)
		},
		awsmiddleware.AddClientRequestIDMiddleware,
		awsmiddleware.AddRequestUserAgentMiddleware,
		smithyhttp.AddComputeContentLengthMiddleware,
		func(s *middleware.Stack) error { return s.Finalize.Add(&v4.ComputePayloadSHA256{}, middleware.After) },
		func(s *middleware.Stack) error {
			return s.Finalize.Add(&sign{creds: c.cfg.Credentials, signer: c.signer, region: c.cfg.Region, name: c.svc.SigningName}, middleware.After)
		},
		func(s *middleware.Stack) error {
			return retry.AddRetryMiddlewares(s, retry.AddRetryMiddlewaresOptions{Retryer: c.retryer})
		},
		func(s *middleware.Stack) error { return s.Deserialize.Add(&deserialize{out: out}, middleware.After) },
		awsmiddleware.AddRequestIDRetrieverMiddleware,
		awshttp.AddResponseErrorMiddleware,
		awsmiddleware.AddRecordResponseTiming,
		awsmiddleware.AddRawResponseToMetadata,
	}
	for _, f := range append(steps, c.cfg.APIOptions...) {
		if err := f(stack); err != nil {
			return err
		}
	}
	return nil
}

// serialize turns the operation's input into the JSON 1.1 request.
type serialize struct {
	endpoint, target string
}

func (*serialize) ID() string { return "OperationSerializer" }

func (m *serialize) HandleSerialize(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("unexpected transport type %T", in.Request)
	}
	body, err := json.Marshal(in.Parameters)
	if err != nil {
		return middleware.SerializeOutput{}, middleware.Metadata{}, &smithy.SerializationError{Err: err}
	}
	u, err := url.Parse(m.endpoint)
	if err != nil {
		return middleware.SerializeOutput{}, middleware.Metadata{}, &smithy.SerializationError{Err: err}
	}
	if u.Path == "" {
		u.Path = "/"
	}
	req.URL, req.Method = u, "POST"
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", m.target)
	if req, err = req.SetStream(bytes.NewReader(body)); err != nil {
		return middleware.SerializeOutput{}, middleware.Metadata{}, &smithy.SerializationError{Err: err}
	}
	in.Request = req
	return next.HandleSerialize(ctx, in)
}

// sign signs each attempt with SigV4 (after the retry middleware, so a
// retried request is signed again).
type sign struct {
	creds        aws.CredentialsProvider
	signer       *v4.Signer
	region, name string
}

func (*sign) ID() string { return "Signing" }

func (m *sign) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	if m.creds == nil {
		return next.HandleFinalize(ctx, in) // anonymous, as the SDK's clients
	}
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("unexpected transport type %T", in.Request)
	}
	creds, err := m.creds.Retrieve(ctx)
	if err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, &v4.SigningError{Err: fmt.Errorf("failed to retrieve credentials: %w", err)}
	}
	if err := m.signer.SignHTTP(ctx, creds, req.Request, v4.GetPayloadHash(ctx), m.name, m.region, time.Now()); err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, &v4.SigningError{Err: fmt.Errorf("failed to sign http request, %w", err)}
	}
	return next.HandleFinalize(awsmiddleware.SetSigningCredentials(ctx, creds), in)
}

// deserialize reads a 2xx answer into out, or the error a JSON 1.1
// service answers.
type deserialize struct {
	out any
}

func (*deserialize) ID() string { return "OperationDeserializer" }

func (m *deserialize) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, metadata, err := next.HandleDeserialize(ctx, in)
	if err != nil {
		return out, metadata, err
	}
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok {
		return out, metadata, &smithy.DeserializationError{Err: fmt.Errorf("unknown transport type %T", out.RawResponse)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return out, metadata, &smithy.DeserializationError{Err: fmt.Errorf("read response body: %w", err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return out, metadata, apiError(resp, body)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return out, metadata, nil
	}
	if err := json.Unmarshal(body, m.out); err != nil {
		return out, metadata, &smithy.DeserializationError{Err: fmt.Errorf("decode response body: %w", err), Snapshot: snapshot(body)}
	}
	out.Result = m.out
	return out, metadata, nil
}

// apiError is the error a JSON 1.1 service answered: the code from the
// X-Amzn-ErrorType header or the body's __type (or code), without the
// namespace before '#' and anything after ':'; the message from the
// body's message (any case).
func apiError(resp *smithyhttp.Response, body []byte) error {
	var e struct {
		Type    string `json:"__type"`
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &e) // field names match any case
	code := resp.Header.Get("X-Amzn-ErrorType")
	if code == "" {
		code = e.Type
	}
	if code == "" {
		code = e.Code
	}
	code, _, _ = strings.Cut(code, ":")
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	if code == "" {
		code = "UnknownError"
		if e.Message == "" {
			e.Message = resp.Status
		}
	}
	fault := smithy.FaultClient
	if resp.StatusCode >= 500 {
		fault = smithy.FaultServer
	}
	return &APIError{Code: code, Message: e.Message, Fault: fault}
}

// APIError is an error a service answered. It reads as the SDK's modeled
// errors do ("Code: message"), and is a smithy.APIError.
type APIError struct {
	Code, Message string
	Fault         smithy.ErrorFault
}

func (e *APIError) Error() string                 { return e.Code + ": " + e.Message }
func (e *APIError) ErrorCode() string             { return e.Code }
func (e *APIError) ErrorMessage() string          { return e.Message }
func (e *APIError) ErrorFault() smithy.ErrorFault { return e.Fault }

func snapshot(b []byte) []byte {
	if len(b) > 1024 {
		return b[:1024]
	}
	return b
}

// resolveEndpoint is the base URL the SDK's generated client would use:
// cfg.BaseEndpoint (AWS_ENDPOINT_URL), overridden by the service's own
// setting (AWS_ENDPOINT_URL_<ID>, or the shared config's services
// section) unless only the global variable is set; else the service's
// regional endpoint, FIPS and dual-stack as configured.
func resolveEndpoint(cfg aws.Config, svc Service) (string, error) {
	var base string
	if cfg.BaseEndpoint != nil {
		base = *cfg.BaseEndpoint
	}
	_, global := os.LookupEnv("AWS_ENDPOINT_URL")
	_, own := os.LookupEnv("AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(svc.ID), " ", "_"))
	if !global || own {
		for _, src := range cfg.ConfigSources {
			p, ok := src.(interface {
				GetServiceBaseEndpoint(context.Context, string) (string, bool, error)
			})
			if !ok {
				continue
			}
			if v, found, err := p.GetServiceBaseEndpoint(context.Background(), svc.ID); err == nil && found {
				base = v
				break
			}
		}
	}
	if base != "" {
		return base, nil
	}
	if cfg.Region == "" {
		return "", errors.New("no region: set AWS_REGION")
	}
	host := svc.SigningName
	if fips(cfg) {
		host += "-fips"
	}
	domain := "amazonaws.com"
	cn := strings.HasPrefix(cfg.Region, "cn-")
	dual := dualStack(cfg) && !svc.RegionalIsDualStack
	switch {
	case dual && cn:
		domain = "api.amazonwebservices.com.cn"
	case dual:
		domain = "api.aws"
	case cn:
		domain = "amazonaws.com.cn"
	}
	return "https://" + host + "." + cfg.Region + "." + domain, nil
}

func fips(cfg aws.Config) bool {
	for _, src := range cfg.ConfigSources {
		if p, ok := src.(interface {
			GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error)
		}); ok {
			if v, found, err := p.GetUseFIPSEndpoint(context.Background()); err == nil && found {
				return v == aws.FIPSEndpointStateEnabled
			}
		}
	}
	return false
}

func dualStack(cfg aws.Config) bool {
	for _, src := range cfg.ConfigSources {
		if p, ok := src.(interface {
			GetUseDualStackEndpoint(context.Context) (aws.DualStackEndpointState, bool, error)
		}); ok {
			if v, found, err := p.GetUseDualStackEndpoint(context.Background()); err == nil && found {
				return v == aws.DualStackEndpointStateEnabled
			}
		}
	}
	return false
}
