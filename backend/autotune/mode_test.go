package autotune

import "testing"

func TestParseMode(t *testing.T) {
	tests := []struct {
		in      string
		want    Mode
		wantErr bool
	}{
		{"", ModeCached, false},
		{"cached", ModeCached, false},
		{"off", ModeOff, false},
		{"on", ModeOn, false},
		{" ON\n", ModeOn, false},
		{"Off", ModeOff, false},
		{"1", ModeCached, true},
		{"true", ModeCached, true},
		{"of", ModeCached, true},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseMode(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	for _, m := range []Mode{ModeOff, ModeCached, ModeOn} {
		if back, err := ParseMode(m.String()); err != nil || back != m {
			t.Errorf("ParseMode(%v.String()) = %v, %v", m, back, err)
		}
	}
}

func TestModeFromEnv(t *testing.T) {
	t.Setenv(EnvMode, "on")
	if m, err := ModeFromEnv(); m != ModeOn || err != nil {
		t.Errorf("ModeFromEnv with on = %v, %v", m, err)
	}
	t.Setenv(EnvMode, "sometimes")
	if m, err := ModeFromEnv(); m != ModeCached || err == nil {
		t.Errorf("ModeFromEnv with a bad value = %v, %v; want cached and an error", m, err)
	}
	t.Setenv(EnvMode, "")
	if m, err := ModeFromEnv(); m != ModeCached || err != nil {
		t.Errorf("ModeFromEnv unset = %v, %v; want cached", m, err)
	}
}

func TestNewFromEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvCacheDir, dir)
	t.Setenv(EnvMode, "on")
	tu, err := NewFromEnv()
	if err != nil || tu.Mode != ModeOn || tu.Cache == nil || tu.Cache.Path() == "" {
		t.Fatalf("NewFromEnv = %+v, %v", tu, err)
	}
	if d, err := DefaultDir(); d != dir || err != nil {
		t.Errorf("DefaultDir = %q, %v; want %q", d, err, dir)
	}
	t.Setenv(EnvMode, "off")
	if tu, err := NewFromEnv(); err != nil || tu.Mode != ModeOff || tu.Cache != nil {
		t.Errorf("NewFromEnv off = %+v, %v; want no cache", tu, err)
	}
}
