use vibedata_dbt_index::{Index, ResourceType, synthetic};

#[test]
fn synthetic_projects_index_without_problems() {
    let dir = tempfile::tempdir().unwrap();
    synthetic::write_synthetic(dir.path(), 300, 7).unwrap();
    let index = Index::load(dir.path());
    assert!(
        index.problems().is_empty(),
        "{:#?}",
        &index.problems()[..index.problems().len().min(5)]
    );
    let counts = index.counts();
    assert_eq!(
        counts[&ResourceType::Model],
        302,
        "300 models plus the package's two"
    );
    assert!(counts[&ResourceType::Test] > 600);
    assert!(index.coverage().total.tests_pct() > 30.0);
}

#[test]
fn the_feature_tour_uses_every_resource_type() {
    let dir = tempfile::tempdir().unwrap();
    synthetic::write_feature_tour(dir.path()).unwrap();
    let index = Index::load(dir.path());
    assert!(index.problems().is_empty(), "{:#?}", index.problems());
    let counts = index.counts();
    for t in [
        ResourceType::Model,
        ResourceType::Seed,
        ResourceType::Snapshot,
        ResourceType::Test,
        ResourceType::Analysis,
        ResourceType::Source,
        ResourceType::Exposure,
        ResourceType::Metric,
        ResourceType::SemanticModel,
        ResourceType::UnitTest,
    ] {
        assert!(counts.get(&t).copied().unwrap_or(0) > 0, "{t:?} missing");
    }
    assert!(index.nodes().contains_key("model.tour.dim_customers.v1"));
    assert_eq!(
        index.graph().parent_map["model.tour.orders"],
        [
            "model.synth_utils.util_calendar",
            "model.tour.dim_customers.v1",
            "model.tour.dim_customers.v2",
            "model.tour.stg_orders"
        ]
    );
}
