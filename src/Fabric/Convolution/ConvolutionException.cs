namespace Dpr.Fabric.Convolution;

/// <summary>
/// A convolution job that breaks <c>docs/convolution.md</c>; <see cref="Field"/> names the offending
/// field (<c>module</c>, <c>input.shape</c>, <c>weights</c>, ...) so an API can point at it.
/// </summary>
public sealed class ConvolutionException : Exception
{
    public ConvolutionException(string field, string message)
        : base($"{field}: {message}")
    {
        Field = field;
    }

    public string Field { get; }
}
