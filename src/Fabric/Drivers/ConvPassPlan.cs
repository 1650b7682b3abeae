using Dpr.Fabric.Convolution;

namespace Dpr.Fabric.Drivers;

/// <summary>
/// How <see cref="ConvDriver"/> splits a job into passes through a register map 2.0 module:
/// <paramref name="Channels"/> input channels a pass (a slice) and <paramref name="Group"/> output channels
/// a pass. One slice of every input channel lets the module add the bias and requantize; more slices run
/// raw and the driver sums them. The same plan times a job in <c>RtlCycleModel</c> and sizes it for the
/// scheduler, so what is estimated is what runs.
/// </summary>
public sealed record ConvPassPlan(int Channels, int Group)
{
    /// <summary>
    /// The largest pass <paramref name="lanes"/> and a DMA buffer of <paramref name="bufferBytes"/> take:
    /// input channels first (at most MAX_CIN, and IMG_W x ceil(channels / PI) words in the line buffer,
    /// CAPS.MAX_WIDTH), then output channels (at most PO); null when not even one channel pair fits.
    /// </summary>
    public static ConvPassPlan? For(ConvSpec spec, TensorShape inputShape, int outputChannels, ConvParallelism lanes, long bufferBytes = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(lanes);
        var chunks = ConvRegisterMap.MaxWidth(spec.KernelSize) / Math.Max(1, inputShape.W);
        var most = (int)Math.Min(Math.Min(inputShape.C, lanes.MaxInputChannels), (long)chunks * lanes.InputLanes);
        for (var channels = most; channels >= 1; channels--)
        {
            for (var group = Math.Min(lanes.OutputLanes, outputChannels); group >= 1; group--)
            {
                if (Bytes(spec, inputShape, channels, group, lanes) <= bufferBytes)
                {
                    return new ConvPassPlan(channels, group);
                }
            }
        }
        return null;
    }

    /// <summary>Passes of a job of <paramref name="inputChannels"/> into <paramref name="outputChannels"/>: slices x groups.</summary>
    public long Passes(int inputChannels, int outputChannels) =>
        (long)Count(inputChannels, Channels) * Count(outputChannels, Group);

    /// <summary>Every pass as (input channels, output channels), groups outside, slices inside: the order the driver runs them.</summary>
    public IEnumerable<(int Channels, int Group)> Each(int inputChannels, int outputChannels)
    {
        for (var first = 0; first < outputChannels; first += Group)
        {
            for (var c0 = 0; c0 < inputChannels; c0 += Channels)
            {
                yield return (Math.Min(Channels, inputChannels - c0), Math.Min(Group, outputChannels - first));
            }
        }
    }

    /// <summary>
    /// DMA buffer bytes of a pass over <paramref name="channels"/> input channels into <paramref name="group"/>
    /// output channels: the N frames' input slice, 64-byte aligned, then the results (P/8 bytes each when the
    /// pass takes every input channel and the job is requantized, else Int64 sums); or the slice's weight
    /// words, uploaded from the same place first, if they are larger.
    /// </summary>
    public static long Bytes(ConvSpec spec, TensorShape inputShape, int channels, int group, ConvParallelism lanes)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(lanes);
        var (n, cin, h, w) = inputShape;
        var inBytes = (Int128)n * h * w * channels * (spec.Module.Bits / 8);
        var outBytes = (Int128)n * spec.OutputSize(h) * spec.OutputSize(w) * group * ResultWidth(spec, channels == cin);
        var weightBytes = (Int128)lanes.Chunks(channels) * lanes.BeatsPerWeightWord(spec.Module) * 8;
        return (long)Int128.Min(Int128.Max(Aligned(inBytes) + outBytes, weightBytes), long.MaxValue);
    }

    /// <summary>Bytes a result of a pass takes: P/8 when the module requantizes (every input channel in the pass), else an Int64.</summary>
    public static int ResultWidth(ConvSpec spec, bool allChannels)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return allChannels && spec.Output == ConvOutputMode.Requantized ? spec.Module.Bits / 8 : 8;
    }

    /// <summary>Where the results of a pass start in the buffer: after its input, 64-byte aligned.</summary>
    public static Int128 Aligned(Int128 bytes) => (bytes + 63) & ~(Int128)63;

    private static int Count(int channels, int per) => (channels + per - 1) / per;
}
