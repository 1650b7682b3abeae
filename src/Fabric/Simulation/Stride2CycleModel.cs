using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;

namespace Dpr.Fabric.Simulation;

/// <summary>
/// Clock cycles of a stride-2 pass through hardware/rtl/conv_rm.v's stride-2 front end
/// (<c>CAPS.STRIDE2_ROWS</c>, conv3x3_int16 and conv3x3_int32; docs/hardware.md, "Stride-2 front end"), part of
/// <see cref="RtlCycleModel"/>:
/// <list type="bullet">
/// <item>The row writer takes an image row, W x ceil(CIN / (64/P)) slot words, one word a clock, and may
/// start a row only while it is fewer than <see cref="Slots"/> rows past the lowest row the reader still
/// needs.</item>
/// <item>The reader starts an output row the clock after its last input row is written, then computes
/// out_w + (K-1)/2 pair steps of CIN x CAPS.ROW_CLOCKS clocks; the front end stops while a finished window waits for the
/// serializer (COUT clocks a window).</item>
/// </list>
/// The reader is walked a pair step at a time in its own (enabled) clocks; the serializer's stalls map
/// those to real clocks, in which the writer and the reader meet.
/// </summary>
internal static class Stride2CycleModel
{
    /// <summary>Row slots of the ring (SLOTS of conv_rm for K = 3).</summary>
    private const int Slots = 4;

    public static long PassCycles(ConvSpec spec, TensorShape input, int groupChannels, int latency)
    {
        var k = spec.KernelSize;
        var wordElements = 64 / spec.Module.Bits;
        var writer = new RowWriter((long)input.W * ((input.C + wordElements - 1) / wordElements), (long)input.N * input.H);
        var stalls = new Stalls();
        var steps = spec.OutputSize(input.W) + ((k - 1) / 2);
        var stepClocks = (long)input.C * ConvParallelism.For(spec.Module).RowClocks;
        long tau = 0, permit = 0, lastLoad = 0, serializerFree = long.MinValue;
        for (var frame = 0L; frame < input.N; frame++)
        {
            for (var row = 0; row < spec.OutputSize(input.H); row++)
            {
                var top = (2 * row) - spec.Pad;
                var first = frame * input.H;
                writer.Advance(first + Math.Max(0, top) + Slots - 1, permit);
                tau = stalls.FirstEnabled(tau, writer.End(first + Math.Min(input.H - 1, top + k - 1)) + 1);
                for (var step = 0; step < steps; step++)
                {
                    if (step >= (k - 1) / 2)
                    {
                        var result = tau + stepClocks - 1 + latency;
                        var ready = stalls.Before(result);
                        var load = Math.Max(ready, serializerFree);
                        stalls.Add(result, load - ready);
                        serializerFree = load + groupChannels;
                        lastLoad = load;
                    }
                    tau += stepClocks;
                }
                permit = stalls.Real(tau - 1) + 1;
            }
        }
        writer.Advance(long.MaxValue, permit);
        // The last window is the last issue's, so its load comes after the reader's drain; the writer may
        // still be taking a row below the last window's (START to its first word, then the row).
        return RtlCycleModel.FixedCycles + Math.Max(lastLoad + groupChannels, writer.Free - 1 - RtlCycleModel.LoadToDoneCycles);
    }

    /// <summary>The row writer: when each image row's last word is written.</summary>
    private sealed class RowWriter(long rowWords, long rows)
    {
        private readonly List<long> _ends = [];

        /// <summary>The first clock the writer is free for its next row.</summary>
        public long Free { get; private set; }

        /// <summary>Writes the rows up to <paramref name="lastAllowed"/>, none before clock <paramref name="permit"/>.</summary>
        public void Advance(long lastAllowed, long permit)
        {
            while (_ends.Count < rows && _ends.Count <= lastAllowed)
            {
                var end = Math.Max(Free, permit) + rowWords - 1;
                _ends.Add(end);
                Free = end + 1;
            }
        }

        public long End(long row) => _ends[(int)row];
    }

    /// <summary>
    /// The clocks the front end stands still, each at the enabled clock a window reached the serializer:
    /// real clock of enabled clock t = t + the stalls at or before t.
    /// </summary>
    private sealed class Stalls
    {
        private readonly List<(long At, long Clocks)> _stalls = [];
        private int _real, _before;
        private long _realSum, _beforeSum;

        public void Add(long at, long clocks)
        {
            if (clocks > 0)
            {
                _stalls.Add((at, clocks));
            }
        }

        /// <summary>Real clock of enabled clock <paramref name="t"/> (non-decreasing calls).</summary>
        public long Real(long t)
        {
            for (; _real < _stalls.Count && _stalls[_real].At <= t; _real++)
            {
                _realSum += _stalls[_real].Clocks;
            }
            return t + _realSum;
        }

        /// <summary>Real clock at which enabled clock <paramref name="t"/> is reached, before a stall there (non-decreasing calls).</summary>
        public long Before(long t)
        {
            for (; _before < _stalls.Count && _stalls[_before].At < t; _before++)
            {
                _beforeSum += _stalls[_before].Clocks;
            }
            return t + _beforeSum;
        }

        /// <summary>The first enabled clock from <paramref name="t"/> on whose real clock is at least <paramref name="clock"/>.</summary>
        public long FirstEnabled(long t, long clock)
        {
            while (true)
            {
                var gap = clock - Real(t);
                if (gap <= 0)
                {
                    return t;
                }
                if (_real == _stalls.Count || t + gap < _stalls[_real].At)
                {
                    return t + gap;
                }
                t = _stalls[_real].At;
            }
        }
    }
}
