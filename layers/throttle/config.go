package throttle

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// The environment variables that ConfigFromEnv reads, named as in borgstore.
const (
	// EnvLatency is the latency per call in microseconds.
	EnvLatency = "BORGSTORE_LATENCY"
	// EnvBandwidth is the bandwidth of the link in bits per second.
	EnvBandwidth = "BORGSTORE_BANDWIDTH"
)

// Config describes the emulated link. The zero Config emulates nothing.
type Config struct {
	// Latency is added to every backend call (a round trip).
	Latency time.Duration
	// Bandwidth is the speed of the link in bits per second, shared by
	// uploads and downloads; 0 means unlimited.
	Bandwidth float64
	// Upload, when not 0, is the upload speed in bits per second and gives
	// the layer separate limiters for the two directions.
	Upload float64
	// Download, when not 0, is the download speed in bits per second and
	// gives the layer separate limiters for the two directions.
	Download float64
}

// ConfigFromEnv reads the emulated link from the environment:
// BORGSTORE_LATENCY in microseconds (a whole number) and
// BORGSTORE_BANDWIDTH in bits per second (a number such as 16000000 or
// 16e6). Unset or empty variables mean 0. ok reports whether either asks for
// throttling (is not 0); a value that does not parse, or is negative, is an
// error that names the variable.
func ConfigFromEnv() (cfg Config, ok bool, err error) {
	if v := strings.TrimSpace(os.Getenv(EnvLatency)); v != "" {
		us, err := strconv.ParseInt(v, 10, 64)
		if err != nil || us < 0 || us > math.MaxInt64/int64(time.Microsecond) {
			return Config{}, false, fmt.Errorf("throttle: %s=%q: want a whole number of microseconds, 0 or more", EnvLatency, v)
		}
		cfg.Latency = time.Duration(us) * time.Microsecond
	}
	if v := strings.TrimSpace(os.Getenv(EnvBandwidth)); v != "" {
		bw, err := strconv.ParseFloat(v, 64)
		if err != nil || bw < 0 || math.IsInf(bw, 0) || math.IsNaN(bw) {
			return Config{}, false, fmt.Errorf("throttle: %s=%q: want a bandwidth in bits per second, 0 (unlimited) or more", EnvBandwidth, v)
		}
		cfg.Bandwidth = bw
	}
	return cfg, cfg.Latency > 0 || cfg.Bandwidth > 0, nil
}

// String describes the link, for example "10ms, 16 Mbit/s".
func (c Config) String() string {
	parts := []string{c.Latency.String()}
	switch {
	case c.Upload > 0 || c.Download > 0:
		up, down := c.Upload, c.Download
		if up <= 0 {
			up = c.Bandwidth
		}
		if down <= 0 {
			down = c.Bandwidth
		}
		parts = append(parts, "up "+formatBits(up), "down "+formatBits(down))
	default:
		parts = append(parts, formatBits(c.Bandwidth))
	}
	return strings.Join(parts, ", ")
}

// formatBits gives a rate in bits/s, kbit/s, Mbit/s or Gbit/s.
func formatBits(b float64) string {
	switch {
	case b <= 0:
		return "unlimited"
	case b >= 1e9:
		return strconv.FormatFloat(b/1e9, 'g', 4, 64) + " Gbit/s"
	case b >= 1e6:
		return strconv.FormatFloat(b/1e6, 'g', 4, 64) + " Mbit/s"
	case b >= 1e3:
		return strconv.FormatFloat(b/1e3, 'g', 4, 64) + " kbit/s"
	}
	return strconv.FormatFloat(b, 'g', 4, 64) + " bit/s"
}
