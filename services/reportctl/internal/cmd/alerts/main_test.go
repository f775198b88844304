package alerts_test

import (
	"testing"

	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/reportctl/internal/clitest"
)

// TestMain is the package's only TestMain: every test shares one moto.
func TestMain(m *testing.M) { mototest.Main(m) }

var cli = clitest.Run
