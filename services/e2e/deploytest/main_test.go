package deploytest

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// awsConfig returns an SDK configuration for the emulator, skipping the
// test under -short.
func awsConfig(t testing.TB) aws.Config { return mototest.Config(t) }
