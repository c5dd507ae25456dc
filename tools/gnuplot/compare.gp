# compare.gp - base against policy: pairs of bars with their 95%
# confidence intervals per category (class, station ...), and above each
# pair the paired difference policy - base with its 95% CI.
#
# Data (data_file): block 0 the base, block 1 the policy; columns: x (the
# category's position -/+ 0.19), category, mean, ci_low, ci_high, diff,
# diff_low, diff_high (policy block only), label_y (top of the pair),
# label (the difference as text).
# Variables: n_bars (categories), target_value (NaN: none), target_label.

set xlabel x_label
set ylabel y_label
set xrange [-0.6 : n_bars - 0.4]
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
set xtics scale 0 nomirror
set grid noxtics
set style fill solid 0.85 noborder
set boxwidth 0.36
if (target_value == target_value) {
    set arrow 1 from graph 0, first target_value to graph 1, first target_value nohead lc rgb "#000000" lw 1.5 dt 2 back
    set label 2 target_label at graph 1, first target_value offset -0.5, 0.6 right textcolor rgb "#000000" front
}
# The category names sit under the middle of each pair (an invisible
# plot of the base block, shifted back to the centre).
plot data_file index 0 using ($1 + 0.19):(NaN):xtic(2) notitle, \
     for [i=1:n_series] data_file index (i-1) using 1:3 with boxes lc i title series_title[i], \
     for [i=1:n_series] data_file index (i-1) using 1:4:(0):($5 - $4) with vectors heads size screen 0.006,90 lc rgb "#333333" dt 1 lw 1.5 notitle, \
     data_file index 1 using ($1 - 0.19):9:10 with labels offset 0, 1.1 textcolor rgb "#222222" notitle
