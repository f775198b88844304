package main

import (
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

func TestConfigValidate(t *testing.T) {
	good := config{Names: resources.Names{Table: "boardpack"}, Tick: 15 * time.Second, Catchup: 7 * 24 * time.Hour, Lease: time.Minute, Owner: "a"}
	if err := good.Validate(); err != nil {
		t.Fatalf("default-like config refused: %v", err)
	}
	bad := config{Tick: 100 * time.Millisecond, Catchup: 0, Lease: time.Second}
	err := bad.Validate()
	for _, want := range []string{"BOARDPACK_TABLE", "BOARDPACK_SCHEDULER_TICK", "BOARDPACK_SCHEDULER_CATCHUP", "BOARDPACK_SCHEDULER_LEASE", "BOARDPACK_SCHEDULER_REPLICA"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to name %s", err, want)
		}
	}
}
