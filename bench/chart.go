package main

import (
	"fmt"
	"strings"
)

// chart draws the Moonstone/Redis throughput ratio of every row as a
// horizontal bar, with the 1.0 line marked: bars past it are where
// Moonstone is faster.
func chart(rows []*row) string {
	const (
		left, barH, gap, width = 260, 16, 6, 420
		maxRatio               = 3.0
	)
	h := 40 + len(rows)*(barH+gap)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`, left+width+60, h)
	fmt.Fprintf(&b, `<text x="10" y="18" font-weight="bold">Moonstone / Redis throughput (median; 1.0 = same)</text>`)
	one := left + int(width/maxRatio)
	for i, r := range rows {
		y := 30 + i*(barH+gap)
		m, rd := median(r.ms), median(r.redis)
		ratio := 0.0
		if rd.rps > 0 {
			ratio = m.rps / rd.rps
		}
		w := int(min(ratio, maxRatio) / maxRatio * width)
		color := "#c0504d"
		if ratio >= 1 {
			color = "#4f81bd"
		}
		fmt.Fprintf(&b, `<text x="10" y="%d">%s %s P%s</text>`, y+12, r.mode, r.test, strings.TrimPrefix(r.pipeline, "P"))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`, left, y, w, barH, color)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%.2f</text>`, left+w+4, y+12, ratio)
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="25" x2="%d" y2="%d" stroke="black" stroke-dasharray="4"/>`, one, one, h-5)
	b.WriteString("</svg>\n")
	return b.String()
}
