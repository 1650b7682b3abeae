namespace Dpr.Fabric.Convolution;

/// <summary>
/// How a channel-layout job sums: the digits its input is split into and each one's shift, the steps the
/// lanes sum before a flush to Int64, and whether pair sums are kept as <see cref="SplitPairSums{TVec, TLanes}"/>.
/// </summary>
internal sealed record ChannelPlan(PairDigit[] Digits, int[] Shifts, int ChunkSteps, bool SplitSums);
