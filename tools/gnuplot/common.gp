# common.gp - the look shared by every borderflow chart: terminal by output
# format, fonts, the Okabe-Ito colour-blind-safe palette, title, subtitle
# and footnotes.  borderflow writes a header of variables (see
# docs/charts.md) and then this file and the chart's own template into one
# script, so the script runs on its own: `gnuplot chart.gp`.
#
# Variables read here (all set in the header):
#   out_format  "png" | "svg" | "pdf"        out_file    path of the chart
#   font_name   e.g. "DejaVu Sans"            chart_title, chart_subtitle
#   footnote, footnote2                       lines under the plot
#   n_series    number of data blocks (series) in data_file

set encoding utf8

# Font sizes in points.  pngcairo and svg are drawn at 1280x800 pixels,
# pdfcairo at 10x6.25 inches (the same shape) with fontscale 1 (its
# default is 0.5); the sizes below give the same proportions in all three,
# so the margins and positions below, in character heights and fractions
# of the canvas, hold for every format.
if (out_format eq "pdf") {
    fs = 8.4; fs_title = 12.4; fs_sub = 8.4; fs_note = 6.75
    set terminal pdfcairo size 10in,6.25in font sprintf("%s,%g", font_name, fs) fontscale 1 noenhanced rounded linewidth 1.6
} else {
    fs = 15; fs_title = 22; fs_sub = 15; fs_note = 12
    if (out_format eq "svg") {
        set terminal svg size 1280,800 dynamic font sprintf("%s,%g", font_name, fs) noenhanced rounded background "#ffffff" linewidth 1.5
    } else {
        set terminal pngcairo size 1280,800 font sprintf("%s,%g", font_name, fs) noenhanced rounded background "#ffffff" linewidth 1.5
    }
}
set output out_file
set datafile separator "\t"
set datafile commentschars "#"

# Okabe & Ito (2008), "Color Universal Design": distinguishable with the
# common colour-vision deficiencies.  Yellow (#F0E442) is last: it is hard
# to see on white.  Line types also differ in dash and point, so a chart
# printed in grey still tells the series apart.
array okabe_ito[8] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
array dashes[8] = [1, 2, 3, 4, 5, 1, 2, 3]
array points[8] = [7, 5, 9, 13, 11, 15, 6, 4]
do for [i=1:8] {
    set linetype i lc rgb okabe_ito[i] lw 2.5 dt dashes[i] pt points[i] ps 1.3
}
grey_text = "#555555"
# Confidence bands: the series colour, mostly transparent.
set style fill transparent solid 0.22 noborder
grid_colour = "#dddddd"

set border 3 lc rgb "#555555" lw 1
set tics nomirror out scale 0.6 textcolor rgb "#333333"
set grid ytics lc rgb grid_colour lw 1 dt 1
set grid noxtics
set xlabel textcolor rgb "#222222"
set ylabel textcolor rgb "#222222"

# Title and subtitle flush left above the plot, then the legend in rows of
# up to three entries, footnotes flush left under the plot; margins in
# character heights leave room for them.
# Up to three entries a row, fewer when the titles are long (about 90
# characters fit across; CJK text counts three bytes a character, which
# errs on the side of more rows).
key_len = 0
do for [i=1:n_series] { key_len = (strlen(series_title[i]) > key_len ? strlen(series_title[i]) : key_len) }
key_cols = floor(90.0 / (key_len + 7))
key_cols = (key_cols < 1 ? 1 : (key_cols > 3 ? 3 : key_cols))
key_cols = (n_series < key_cols ? n_series : key_cols)
key_rows = ceil(n_series * 1.0 / key_cols)
set tmargin 4.8 + 1.3 * key_rows
set bmargin 7.5
set lmargin 12
set rmargin 4
set label 901 chart_title at screen 0.012, screen 0.955 left font sprintf(",%g", fs_title) textcolor rgb "#111111"
set label 902 chart_subtitle at screen 0.012, screen 0.905 left font sprintf(",%g", fs_sub) textcolor rgb grey_text
set label 903 footnote at screen 0.012, screen 0.05 left font sprintf(",%g", fs_note) textcolor rgb grey_text
set label 904 footnote2 at screen 0.012, screen 0.018 left font sprintf(",%g", fs_note) textcolor rgb grey_text

set key at screen 0.012, screen 0.875 left top horizontal Left reverse samplen 2.5 spacing 1.1 width 2 maxcols key_cols
