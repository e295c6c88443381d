package dtmf

import (
	"strings"
	"testing"
	"time"
)

func TestParseInfo(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		want                    Info
	}{
		{"Relay", ContentTypeRelay, "Signal=5\r\nDuration=160", Info{'5', 160 * time.Millisecond}},
		{"RelayTrailingNewlineAndSpaces", ContentTypeRelay, "Signal= #\r\nDuration= 250\r\n", Info{'#', 250 * time.Millisecond}},
		{"RelayBareNewlinesAndCase", "Application/DTMF-Relay; charset=utf-8", "signal=*\nduration=100\n", Info{'*', 100 * time.Millisecond}},
		{"RelayWithoutDuration", ContentTypeRelay, "Signal=0", Info{Digit: '0'}},
		{"RelayCodeForStar", ContentTypeRelay, "Signal=10\r\nDuration=160", Info{'*', 160 * time.Millisecond}},
		{"RelayCodeForPound", ContentTypeRelay, "Signal=11", Info{Digit: '#'}},
		{"RelayLowercaseLetter", ContentTypeRelay, "Signal=d", Info{Digit: 'D'}},
		{"RelayUnknownKeySkipped", ContentTypeRelay, "Signal=7\r\nVolume=10", Info{Digit: '7'}},
		{"DTMF", ContentTypeDTMF, "5", Info{Digit: '5'}},
		{"DTMFWithNewline", ContentTypeDTMF, "#\r\n", Info{Digit: '#'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseInfo(tt.contentType, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseInfo_Refuses(t *testing.T) {
	tests := []struct {
		name, contentType, body string
	}{
		{"NoContentType", "", "5"},
		{"OtherContentType", "application/sdp", "Signal=5"},
		{"EmptyRelay", ContentTypeRelay, ""},
		{"NoSignal", ContentTypeRelay, "Duration=160"},
		{"SignalTwice", ContentTypeRelay, "Signal=5\r\nSignal=6"},
		{"DurationTwice", ContentTypeRelay, "Signal=5\r\nDuration=1\r\nDuration=2"},
		{"NotKeyValue", ContentTypeRelay, "Signal 5"},
		{"TwoKeys", ContentTypeRelay, "Signal=55"},
		{"NotAKey", ContentTypeRelay, "Signal=E"},
		{"EventCodeOfAFlash", ContentTypeRelay, "Signal=16"},
		{"EmptySignal", ContentTypeRelay, "Signal="},
		{"NegativeDuration", ContentTypeRelay, "Signal=5\r\nDuration=-1"},
		{"HugeDuration", ContentTypeRelay, "Signal=5\r\nDuration=99999999"},
		{"DurationNotANumber", ContentTypeRelay, "Signal=5\r\nDuration=1e3"},
		{"TooManyLines", ContentTypeRelay, "Signal=5" + strings.Repeat("\r\n", 8)},
		{"TooLarge", ContentTypeRelay, "Signal=5\r\nX=" + strings.Repeat("x", 300)},
		{"EmptyDTMF", ContentTypeDTMF, ""},
		{"TwoDTMF", ContentTypeDTMF, "12"},
		{"MultibyteDTMF", ContentTypeDTMF, "５"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := ParseInfo(tt.contentType, []byte(tt.body)); err == nil {
				t.Errorf("got %+v, want an error", got)
			}
		})
	}
}
