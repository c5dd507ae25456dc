# cdf.gp - distribution of a duration (waiting time, time in system,
# clearance, dwell) as the share of entities done within x: one curve per
# class, station, line or run.
#
# Data (data_file): one block per series; columns: x (in the x axis unit),
# share_pct (0-100, cumulative), lo_s, hi_s (bucket edges in seconds),
# count.  Each block starts with the row (0, 0).
# Variables: x_max (right end of the x axis), target_value (NaN: none; a
# vertical line) and target_label.

set xlabel x_label
set ylabel y_label
set xrange [0:x_max]
set yrange [0:100]
set ytics 0, 20, 100
set mytics 2
set grid xtics ytics lc rgb grid_colour lw 1 dt 1
if (target_value == target_value) {
    set arrow 1 from first target_value, graph 0 to first target_value, graph 1 nohead lc rgb "#000000" lw 1.5 dt 2 back
    set label 2 target_label at first target_value, graph 0.05 offset 0.6, 0 left textcolor rgb "#000000" front
}
plot for [i=1:n_series] data_file index (i-1) using 1:2 with lines lt i lw 2.5 title series_title[i]
