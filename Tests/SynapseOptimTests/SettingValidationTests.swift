import Testing
import SynapseCore
import SynapseOptim

/// Invalid settings from a user's config are thrown errors that name the setting.
@Suite struct SettingValidationTests {
    func setting(of body: () throws -> Any) -> String? {
        do { _ = try body(); return nil } catch let error as OptimizerSettingError { return error.setting } catch { return "other" }
    }

    @Test func invalidSettingsAreNamed() {
        let arena = makeArena([("w", [1])])
        #expect(setting { try SGD(arena: arena, learningRate: -0.1) } == "learningRate")
        #expect(setting { try SGD(arena: arena, learningRate: .nan) } == "learningRate")
        #expect(setting { try SGD(arena: arena, learningRate: 0.1, momentum: -1) } == "momentum")
        #expect(setting { try SGD(arena: arena, learningRate: 0.1, nesterov: true) } == "momentum")
        #expect(setting { try SGD(arena: arena, learningRate: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true) } == "dampening")
        #expect(setting { try Adam(arena: arena, betas: (1, 0.999)) } == "betas.0")
        #expect(setting { try AdamW(arena: arena, betas: (0.9, -0.1)) } == "betas.1")
        #expect(setting { try Adam(arena: arena, epsilon: -1) } == "epsilon")
        #expect(setting { try AdamW(arena: arena, weightDecay: -0.01) } == "weightDecay")
        #expect(setting { try RMSprop(arena: arena, alpha: 1) } == "alpha")
        #expect(setting { try Adagrad(arena: arena, lrDecay: -1) } == "lrDecay")
        #expect(setting { try Adagrad(arena: arena, initialAccumulatorValue: -1) } == "initialAccumulatorValue")
        #expect(setting { try Regularization(l1: -1) } == "l1")
        #expect(setting { try SGD(arena: arena, learningRate: 0.1, momentum: 0.9, nesterov: true) } == nil)
    }

    @Test func messageSaysWhatWhereAndHow() {
        #expect {
            try Adam(arena: makeArena([("w", [1])]), betas: (0.9, 1))
        } throws: { error in
            String(describing: error)
                == "Adam: betas.1 = 1.0 is invalid; it must be in [0, 1). Change the optimizer's betas.1 setting."
        }
    }
}
