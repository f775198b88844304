// Package app is what every reportctl command shares: the process's
// streams and settings, AWS clients made on first use, usage errors (exit
// 2), the -o table|json output switch and progress on a terminal.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/awsconf"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/envconfig"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// App gives commands what they need, each piece made on first use, so a
// command that needs no AWS never touches it.
type App struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Names          resources.Names
	// Sender is the verified envelope sender (BOARDPACK_SENDER).
	Sender string
	// Terminal makes stdin and stderr count as terminals whatever they
	// are (tests of the confirmation prompt and of progress).
	Terminal bool
	envErr   error

	mu        sync.Mutex
	awsCfg    *aws.Config
	account   *resources.Account
	publisher *bus.Publisher
}

// NewApp reads the shared BOARDPACK_* settings.
func New(stdin io.Reader, stdout, stderr io.Writer) *App {
	var r envconfig.Reader
	a := &App{Stdin: stdin, Stdout: stdout, Stderr: stderr, Names: resources.NamesFromEnv(&r)}
	a.Sender = r.String("BOARDPACK_SENDER", "reports@boardpack.example.com")
	a.envErr = r.Err()
	return a
}

// AWS returns the SDK configuration.
func (a *App) AWS(ctx context.Context) (aws.Config, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.envErr != nil {
		return aws.Config{}, a.envErr
	}
	if a.awsCfg == nil {
		cfg, err := awsconf.Load(ctx)
		if err != nil {
			return aws.Config{}, err
		}
		a.awsCfg = &cfg
	}
	return *a.awsCfg, nil
}

// Account returns the AWS account the topics live in.
func (a *App) Account(ctx context.Context) (resources.Account, error) {
	cfg, err := a.AWS(ctx)
	if err != nil {
		return resources.Account{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.account == nil {
		acct, err := resources.ResolveAccount(ctx, cfg)
		if err != nil {
			return resources.Account{}, err
		}
		a.account = &acct
	}
	return *a.account, nil
}

// Tenants returns the tenant store.
func (a *App) Tenants(ctx context.Context) (tenants.Store, error) {
	cfg, err := a.AWS(ctx)
	if err != nil {
		return tenants.Store{}, err
	}
	return tenants.Store{DB: dynamodb.NewFromConfig(cfg), Table: a.Names.Table}, nil
}

// ReadModel returns the read model store.
func (a *App) ReadModel(ctx context.Context) (readmodel.Store, error) {
	cfg, err := a.AWS(ctx)
	if err != nil {
		return readmodel.Store{}, err
	}
	return readmodel.Store{DB: dynamodb.NewFromConfig(cfg), Table: a.Names.Table}, nil
}

// Publisher returns a publisher to the deployment's topics.
func (a *App) Publisher(ctx context.Context) (*bus.Publisher, error) {
	cfg, err := a.AWS(ctx)
	if err != nil {
		return nil, err
	}
	acct, err := a.Account(ctx)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.publisher == nil {
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		p, err := bus.NewPublisher(cfg, a.Names, acct, bus.Logger(quiet))
		if err != nil {
			return nil, err
		}
		a.publisher = p
	}
	return a.publisher, nil
}

// Close releases what was opened.
func (a *App) Close() {
	if a.publisher != nil {
		if err := a.publisher.Close(); err != nil {
			fmt.Fprintln(a.Stderr, "close publisher:", err)
		}
	}
}
