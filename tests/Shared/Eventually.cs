using System.Diagnostics;

namespace Dpr.Tests;

/// <summary>
/// Waits for what real I/O makes true (an SQLite write, an actor on its own thread, an in-process
/// service): there is no clock to advance for those, so the tests poll. The limit only turns a hang
/// into a failure naming <c>what</c>; no test asserts how long anything took.
/// </summary>
public static class Eventually
{
    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan within) =>
        TrueAsync(() => Task.FromResult(condition()), () => what, within);

    public static Task TrueAsync(Func<bool> condition, Func<string> what, TimeSpan within) =>
        TrueAsync(() => Task.FromResult(condition()), what, within);

    public static Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan within) =>
        TrueAsync(condition, () => what, within);

    public static async Task TrueAsync(Func<Task<bool>> condition, Func<string> what, TimeSpan within)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < within, $"not within {within.TotalSeconds:0} s: {what()}");
            await Task.Delay(20);
        }
    }
}
