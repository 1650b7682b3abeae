using System.Text;

namespace Dpr.Fuzz;

/// <summary>Dictionary tokens from text (UTF-8).</summary>
internal static class Tokens
{
    public static IEnumerable<byte[]> Of(params string[] tokens) => tokens.Select(Encoding.UTF8.GetBytes);
}
