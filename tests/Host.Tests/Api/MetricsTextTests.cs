using Dpr.Host.Api;

namespace Dpr.Host.Tests.Api;

/// <summary>A fleet node's <c>/metrics</c> put together from its own export and its boards' (<see cref="MetricsText.Merge"/>).</summary>
public sealed class MetricsTextTests
{
    [Fact]
    public void Each_family_appears_once_with_the_first_header_and_every_texts_samples_in_order()
    {
        const string node = "# HELP dpr_swaps_total Swaps.\n# TYPE dpr_swaps_total counter\n# HELP dpr_journal_up Up.\n# TYPE dpr_journal_up gauge\ndpr_journal_up 1\n";
        const string b0 = "# HELP dpr_swaps_total Swaps.\n# TYPE dpr_swaps_total counter\ndpr_swaps_total{board=\"b0\",module=\"m\"} 2\n";
        const string b1 = "# HELP dpr_swaps_total Swaps.\n# TYPE dpr_swaps_total counter\ndpr_swaps_total{board=\"b1\",module=\"m\"} 3\n# HELP dpr_queue_depth Queue.\n# TYPE dpr_queue_depth gauge\ndpr_queue_depth{board=\"b1\",module=\"m\"} 0\n";

        var merged = MetricsText.Merge([node, b0, b1]);

        Assert.Equal(
            "# HELP dpr_swaps_total Swaps.\n# TYPE dpr_swaps_total counter\ndpr_swaps_total{board=\"b0\",module=\"m\"} 2\ndpr_swaps_total{board=\"b1\",module=\"m\"} 3\n"
            + "# HELP dpr_journal_up Up.\n# TYPE dpr_journal_up gauge\ndpr_journal_up 1\n"
            + "# HELP dpr_queue_depth Queue.\n# TYPE dpr_queue_depth gauge\ndpr_queue_depth{board=\"b1\",module=\"m\"} 0\n",
            merged);
    }

    [Fact]
    public void A_sample_before_any_header_is_refused()
    {
        var refused = Assert.Throws<FormatException>(() => MetricsText.Merge(["dpr_swaps_total 1\n"]));

        Assert.Contains("'dpr_swaps_total 1'", refused.Message);
    }
}
