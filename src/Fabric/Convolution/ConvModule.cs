using System.Diagnostics.CodeAnalysis;

namespace Dpr.Fabric.Convolution;

/// <summary>
/// One of the six convolution modules. <see cref="Resolve"/> accepts canonical names and the aliases of
/// the original Python package (<c>conv3x3_8bit</c>), case-insensitively.
/// </summary>
public sealed record ConvModule(ModuleName Name, string Alias, int KernelSize, ConvPrecision Precision)
{
    public static IReadOnlyList<ConvModule> All { get; } =
    [
        Create(3, ConvPrecision.Int8),
        Create(3, ConvPrecision.Int16),
        Create(3, ConvPrecision.Int32),
        Create(5, ConvPrecision.Int8),
        Create(5, ConvPrecision.Int16),
        Create(5, ConvPrecision.Int32),
    ];

    public int Bits => (int)Precision;

    /// <summary>The precision as the API and docs spell it: <c>int8</c>, <c>int16</c>, <c>int32</c>.</summary>
    public string PrecisionName => $"int{Bits}";

    /// <summary>−2^(P−1), the smallest value of the precision.</summary>
    public long MinValue => -(1L << (Bits - 1));

    /// <summary>2^(P−1) − 1, the largest value of the precision.</summary>
    public long MaxValue => (1L << (Bits - 1)) - 1;

    public static ConvModule Resolve(string name) =>
        TryResolve(name, out var module)
            ? module
            : throw new ConvolutionException(
                "module",
                $"unknown module '{name}'; known: {string.Join(", ", All.Select(m => $"{m.Name} ({m.Alias})"))}");

    public static bool TryResolve(string? name, [NotNullWhen(true)] out ConvModule? module)
    {
        var key = name?.Trim();
        // A loop, not LINQ: the simulated module resolves its name at every register access (no closure, no enumerator).
        for (var i = 0; i < All.Count; i++)
        {
            if (string.Equals(All[i].Name.Value, key, StringComparison.OrdinalIgnoreCase) || string.Equals(All[i].Alias, key, StringComparison.OrdinalIgnoreCase))
            {
                module = All[i];
                return true;
            }
        }
        module = null;
        return false;
    }

    public static ConvModule Of(int kernelSize, ConvPrecision precision) =>
        All.FirstOrDefault(m => m.KernelSize == kernelSize && m.Precision == precision)
        ?? throw new ConvolutionException("kernel", $"no module with a {kernelSize}x{kernelSize} kernel at {precision}");

    public override string ToString() => Name.Value;

    private static ConvModule Create(int k, ConvPrecision p) =>
        new(new ModuleName($"conv{k}x{k}_int{(int)p}"), $"conv{k}x{k}_{(int)p}bit", k, p);
}
