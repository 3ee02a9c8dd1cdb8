//go:build !linux

package server

func disableTHP() error { return nil }
