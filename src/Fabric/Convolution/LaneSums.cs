using System.Runtime.CompilerServices;

namespace Dpr.Fabric.Convolution;

/// <summary>One vector of sums in the lanes' own width, for as many steps as the job's bounds allow.</summary>
internal readonly struct LaneSums<TVec, TElem, TLanes> : IAccumulator<LaneSums<TVec, TElem, TLanes>, TVec, TElem>
    where TVec : struct
    where TElem : unmanaged
    where TLanes : IConvLanes<TVec, TElem>
{
    private readonly TVec value;

    private LaneSums(TVec value) => this.value = value;

    public static int Registers => 1;

    public static LaneSums<TVec, TElem, TLanes> Zero => new(TLanes.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSums<TVec, TElem, TLanes> MultiplyAdd(LaneSums<TVec, TElem, TLanes> acc, TVec q, TVec w) =>
        new(TLanes.MultiplyAdd(acc.value, q, w));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Flush(LaneSums<TVec, TElem, TLanes> acc, int shift, ref long destination) =>
        TLanes.Flush(acc.value, shift, ref destination);
}
