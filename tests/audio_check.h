/*
 * audio_check.h: what a listener would hear, measured on interleaved
 * stereo floats: levels in dBFS, attack onsets, gaps and tails.  Shared
 * by tests/test_synth*.c and bench/bench_synth.c.
 */
#ifndef LR_AUDIO_CHECK_H
#define LR_AUDIO_CHECK_H

#include <math.h>
#include <stddef.h>

/* RMS of both channels over frames [a, b), in dBFS (-200: silence). */
static inline double
audio_rms_db(const float *pcm, size_t a, size_t b)
{
	double	sum = 0;
	size_t	i;

	if (b <= a)
		return (-200);
	for (i = 2 * a; i < 2 * b; i++)
		sum += (double)pcm[i] * pcm[i];
	sum /= (double)(2 * (b - a));
	return (sum > 1e-20 ? 10 * log10(sum) : -200);
}

/* Loudest 10 ms window from frame a on, in dBFS. */
static inline double
audio_peak_window_db(const float *pcm, size_t frames, size_t a, int rate)
{
	size_t	w = (size_t)rate / 100, i;
	double	db, best = -200;

	for (i = a; i + w <= frames; i += w / 2)
		if ((db = audio_rms_db(pcm, i, i + w)) > best)
			best = db;
	return (best);
}

/*
 * Attack energy per 1 ms frame: the first difference of the mono mix
 * (an attack is a burst of new high-frequency content; a sustained or
 * releasing note changes slowly), squared and summed.  e has n frames.
 */
static inline double *
audio_attack_env(const float *pcm, size_t frames, int rate, size_t *n)
{
	size_t	i, k;
	double	*e, prev = 0, x, d;

	/* Frame k is samples [k * rate / 1000, (k + 1) * rate / 1000):
	   exactly 1 ms on average (44 or 45 samples at 44.1 kHz). */
	*n = frames * 1000 / (size_t)rate;
	e = calloc(*n + 1, sizeof *e);
	for (k = 0; k < *n; k++)
		for (i = k * (size_t)rate / 1000; i < (k + 1) * (size_t)rate /
		    1000; i++) {
			x = 0.5 * ((double)pcm[2 * i] + pcm[2 * i + 1]);
			d = x - prev;
			prev = x;
			e[k] += d * d;
		}
	return (e);
}

/*
 * The onset nearest t (seconds) in e: the first 1 ms frame in
 * [t - 10 ms, t + 10 ms] whose attack energy is over 4x the mean of the
 * 10 frames before the window and above a floor.  Its time minus t, in
 * seconds, or NAN when there is none.
 */
static inline double
audio_onset_near(const double *e, size_t n, double t)
{
	long	c = lround(t * 1000), k, j;
	double	pre = 0;
	int	m = 0;

	for (j = c - 20; j < c - 10; j++)
		if (j >= 0 && (size_t)j < n) {
			pre += e[j];
			m++;
		}
	pre = m > 0 ? pre / m : 0;
	for (k = c - 10; k <= c + 10; k++) {
		if (k < 0 || (size_t)k >= n)
			continue;
		if (e[k] > 4 * pre && e[k] > 1e-7)
			return ((double)k / 1000.0 + 0.0005 - t);
	}
	return (NAN);
}

#endif
