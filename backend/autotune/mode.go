package autotune

import (
	"fmt"
	"os"
	"strings"
)

// Mode says how much a tuning call may do. The zero value is ModeCached, the default.
type Mode int

const (
	// ModeCached uses a cached configuration when there is one and the prior otherwise;
	// it never measures.
	ModeCached Mode = iota
	// ModeOff uses the prior and does not read the cache.
	ModeOff
	// ModeOn uses a cached configuration, or searches on a cache miss and stores the winner.
	ModeOn
)

// EnvMode is the environment variable that selects the mode: off, cached or on.
const EnvMode = "CROSSBAR_TUNE"

func (m Mode) String() string {
	switch m {
	case ModeCached:
		return "cached"
	case ModeOff:
		return "off"
	case ModeOn:
		return "on"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode reads "off", "cached" or "on" (any case, surrounding spaces ignored); the empty
// string is ModeCached. Anything else is an error and ModeCached.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "cached":
		return ModeCached, nil
	case "off":
		return ModeOff, nil
	case "on":
		return ModeOn, nil
	}
	return ModeCached, fmt.Errorf("autotune: parse mode %q: want off, cached or on", s)
}

// ModeFromEnv reads EnvMode. A value it does not understand gives ModeCached with an error,
// so that a typo never turns measuring on.
func ModeFromEnv() (Mode, error) {
	m, err := ParseMode(os.Getenv(EnvMode))
	if err != nil {
		return m, fmt.Errorf("%s: %w", EnvMode, err)
	}
	return m, nil
}
