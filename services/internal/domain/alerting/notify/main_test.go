package notify

import (
	"testing"

	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

func TestMain(m *testing.M) { mototest.Main(m) }
